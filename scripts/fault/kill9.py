#!/usr/bin/env python3
"""Crash test: no answered write is lost when Latchkey is killed with SIGKILL.

Drives concurrent registrations, sign-ins and profile edits against the release binary
on a fresh SQLite database, kills it with SIGKILL in the middle of the run, starts it
again on the same data, and checks that every write that was answered 2xx is there
(accounts, sessions, the newest acknowledged edit of each profile) and that
`PRAGMA integrity_check` says ok. Standard library only.

    SERVER_BIN=target/release/latchkey LATCHKEY_SITE_ROOT=target/site scripts/fault/kill9.py
"""

import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

PASSWORD = "violet-anchor-92"
WORKERS = 6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, port):
        self.port = port
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LATCHKEY_DATA_DIR": data_dir,
            "LATCHKEY_BIND": f"127.0.0.1:{port}",
            "LATCHKEY_LOG": "warn",
            # Many sign-ins from one address are the point here, not an attack.
            "LATCHKEY_LOGIN_FAILURES_PER_ADDRESS": "1000000",
        }
        if os.environ.get("LATCHKEY_SITE_ROOT"):
            env["LATCHKEY_SITE_ROOT"] = os.environ["LATCHKEY_SITE_ROOT"]
        self.process = subprocess.Popen([binary, "serve"], env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                sys.exit(f"kill9: latchkey exited with {self.process.returncode}")
            time.sleep(0.1)
        sys.exit("kill9: latchkey did not answer /healthz")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.terminate()
        self.process.wait()


def request(port, method, path, body=None, cookie=None):
    """(status, body, session cookie or None)"""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {}
    if body is not None:
        headers["content-type"] = "application/json"
    if cookie:
        headers["cookie"] = f"latchkey_session={cookie}"
    try:
        connection.request(method, path, None if body is None else json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
        new_cookie = None
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("latchkey_session="):
                new_cookie = value.split(";", 1)[0].split("=", 1)[1]
        return response.status, data, new_cookie
    finally:
        connection.close()


class Ledger:
    """What the server acknowledged before it was killed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accounts = set()
        self.sessions = {}  # cookie -> username
        self.edits = {}  # username -> newest acknowledged edit number

    def count(self):
        with self.lock:
            return len(self.accounts), len(self.sessions), sum(self.edits.values())


def worker(port, number, ledger, stop):
    i = 0
    while not stop.is_set():
        i += 1
        username = f"crash{number}x{i}"
        try:
            status, _, cookie = request(port, "POST", "/api/v1/auth/register", {
                "username": username,
                "email": f"{username}@example.org",
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            })
            if status != 201:
                continue
            with ledger.lock:
                ledger.accounts.add(username)
                if cookie:
                    ledger.sessions[cookie] = username
            for edit in range(1, random.randint(3, 8)):
                status, _, _ = request(port, "PATCH", "/api/v1/account", {"bio": f"edit {edit}"}, cookie)
                if status != 200:
                    break
                with ledger.lock:
                    ledger.edits[username] = edit
            status, _, cookie = request(port, "POST", "/api/v1/auth/login",
                                        {"login": username, "password": PASSWORD})
            if status == 200 and cookie:
                with ledger.lock:
                    ledger.sessions[cookie] = username
        except OSError:
            # The server is gone (killed): what was answered is in the ledger.
            return


def main():
    binary = os.environ.get("SERVER_BIN", "target/release/latchkey")
    data_dir = tempfile.mkdtemp(prefix="latchkey-kill9.")
    port = free_port()
    server = Server(binary, data_dir, port)
    ledger = Ledger()
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(port, n, ledger, stop)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    time.sleep(random.uniform(3.0, 5.0))
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    accounts, sessions, edits = ledger.count()
    print(f"kill9: SIGKILL after {accounts} registrations, {sessions} sessions (registrations and sign-ins) and {edits} profile edits were answered")
    if accounts == 0:
        sys.exit("kill9: nothing was answered before the kill; the test proves nothing")

    server = Server(binary, data_dir, port)
    problems = []
    try:
        db = sqlite3.connect(os.path.join(data_dir, "latchkey.db"))
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        stored = {name: bio for name, bio in db.execute("SELECT username, bio FROM users")}
        for username in ledger.accounts:
            if username not in stored:
                problems.append(f"account {username} was answered 201 and is gone")
        for username, edit in ledger.edits.items():
            bio = stored.get(username) or ""
            # An edit in flight at the kill may have landed unanswered: newer is fine.
            if not bio.startswith("edit ") or int(bio.split()[1]) < edit:
                problems.append(f"{username}: edit {edit} was answered 200, stored {bio!r}")
        db.close()
        for cookie, username in ledger.sessions.items():
            status, body, _ = request(port, "GET", "/api/v1/account", cookie=cookie)
            if status != 200 or json.loads(body).get("username") != username:
                problems.append(f"a session of {username} answered at sign-in does not work ({status})")
        # The restarted server takes new writes.
        status, _, _ = request(port, "POST", "/api/v1/auth/login",
                               {"login": next(iter(ledger.accounts)), "password": PASSWORD})
        if status != 200:
            problems.append(f"sign-in after the restart answered {status}")
    finally:
        server.stop()
    if problems:
        for problem in problems[:20]:
            print(f"kill9: {problem}", file=sys.stderr)
        sys.exit(f"kill9: {len(problems)} problems")
    print(f"kill9: after the restart all {accounts} accounts, {sessions} sessions and every "
          f"acknowledged edit are there; integrity_check ok")


if __name__ == "__main__":
    main()
