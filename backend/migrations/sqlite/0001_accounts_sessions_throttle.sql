-- Accounts, sessions and the sign-in throttle: what the foundation needs.
-- SQLite keeps timestamps as INTEGER seconds since the Unix epoch (UTC), so that they
-- compare correctly as numbers; the Postgres twin of this file uses TIMESTAMPTZ.

CREATE TABLE users (
    -- Opaque id (UUIDv7 text): never a counter, so ids reveal nothing about sign-up order or volume.
    id              TEXT PRIMARY KEY NOT NULL,
    -- As the person typed it; uniqueness ignores case (usernames are ASCII only).
    username        TEXT NOT NULL,
    -- Stored normalised (trimmed, lower-case), so plain equality is case-insensitive.
    email           TEXT NOT NULL,
    email_verified  INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    -- argon2id PHC string; never leaves the server.
    password_hash   TEXT NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    bio             TEXT,
    location        TEXT,
    birth_date      TEXT,  -- YYYY-MM-DD
    timezone        TEXT NOT NULL DEFAULT 'UTC',
    language        TEXT NOT NULL DEFAULT 'en',
    role            TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Browser sessions (tower-sessions records). The primary key is a keyed hash (HMAC) of
-- the session id, so a copy of this table cannot be replayed as cookies.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY NOT NULL,
    -- The signed-in account, copied out of `data` so that "sign out everywhere" and the
    -- device list are one indexed query. NULL for a session that holds no sign-in.
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- The session's key/value record as JSON.
    data        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Fixed-window counters of failed sign-ins, per account and per client address. They
-- live in the database so that every instance behind a load balancer counts together.
CREATE TABLE throttle (
    key           TEXT PRIMARY KEY NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
);
