#!/usr/bin/env python3
"""Seeds COUNT accounts straight into a Latchkey database (a SQLite file's path, or a
Postgres URL),
for the benchmark's scale scenario: one statement, no HTTP, no hashing per account.

Every seeded account gets the password hash of an existing account (TEMPLATE), so each
one can sign in with that account's password. Prints the database's size afterwards.

    seed-accounts.py SQLITE_FILE|POSTGRES_URL COUNT TEMPLATE_USERNAME
"""
import os
import sqlite3
import subprocess
import sys
import time


def seed_sqlite(path, count, template):
    db = sqlite3.connect(path)
    (password_hash,) = db.execute(
        "SELECT password_hash FROM users WHERE username = ?", (template,)
    ).fetchone()
    now = int(time.time())
    with db:
        db.execute(
            """
            WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
            INSERT INTO users (id, username, email, email_verified, password_hash,
                               created_at, updated_at)
            SELECT printf('00000000-0000-7000-8000-%012d', n), 'seed' || n,
                   'seed' || n || '@example.org', 1, ?, ?, ?
            FROM seq
            """,
            (count, password_hash, now, now),
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (accounts,) = db.execute("SELECT count(*) FROM users").fetchone()
    db.close()
    return accounts, os.path.getsize(path)


def psql(url, sql, *variables):
    args = ["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables:
        args += ["-v", f"{name}={value}"]
    return subprocess.run(
        args, input=sql, capture_output=True, text=True, check=True
    ).stdout.strip()


def seed_postgres(url, count, template):
    psql(
        url,
        """
        INSERT INTO users (id, username, email, email_verified, password_hash,
                           created_at, updated_at)
        SELECT '00000000-0000-7000-8000-' || lpad(n::text, 12, '0'), 'seed' || n,
               'seed' || n || '@example.org', TRUE,
               (SELECT password_hash FROM users WHERE username = :'template'), now(), now()
        FROM generate_series(1, :count) AS n;
        VACUUM ANALYZE users;
        """,
        ("template", template),
        ("count", count),
    )
    accounts = int(psql(url, "SELECT count(*) FROM users;"))
    size = int(psql(url, "SELECT pg_database_size(current_database());"))
    return accounts, size


def main():
    url, count, template = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    started = time.time()
    if url.startswith(("postgres://", "postgresql://")):
        accounts, size = seed_postgres(url, count, template)
    else:
        accounts, size = seed_sqlite(url, count, template)
    print(
        f"seeded {count} accounts in {time.time() - started:.1f} s: "
        f"{accounts} accounts, database {size} bytes, {size / accounts:.0f} bytes per account"
    )


if __name__ == "__main__":
    main()
