-- Accounts, sessions and the sign-in throttle: what the foundation needs.
-- The SQLite twin of this file has the same tables; there timestamps are INTEGER seconds.

CREATE TABLE users (
    -- Opaque id (UUIDv7 text): never a counter, so ids reveal nothing about sign-up order or volume.
    id              TEXT PRIMARY KEY,
    -- As the person typed it; uniqueness ignores case (usernames are ASCII only).
    username        TEXT NOT NULL,
    -- Stored normalised (trimmed, lower-case), so plain equality is case-insensitive.
    email           TEXT NOT NULL,
    email_verified  BOOLEAN NOT NULL DEFAULT FALSE,
    -- argon2id PHC string; never leaves the server.
    password_hash   TEXT NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    bio             TEXT,
    location        TEXT,
    birth_date      DATE,
    timezone        TEXT NOT NULL DEFAULT 'UTC',
    language        TEXT NOT NULL DEFAULT 'en',
    role            TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Browser sessions (tower-sessions records). The primary key is a keyed hash (HMAC) of
-- the session id, so a copy of this table cannot be replayed as cookies.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    -- The signed-in account, copied out of `data` so that "sign out everywhere" and the
    -- device list are one indexed query. NULL for a session that holds no sign-in.
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- The session's key/value record as JSON.
    data        TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Fixed-window counters of failed sign-ins, per account and per client address. They
-- live in the database so that every instance behind a load balancer counts together.
CREATE TABLE throttle (
    key           TEXT PRIMARY KEY,
    window_start  TIMESTAMPTZ NOT NULL,
    count         INTEGER NOT NULL
);
