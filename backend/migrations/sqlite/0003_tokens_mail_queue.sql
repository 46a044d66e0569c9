-- One-time tokens and codes (email verification, password reset, email change, sign-in
-- codes) and the outgoing mail queue.

CREATE TABLE tokens (
    -- A keyed hash (HMAC) of the token, or of the account and code for a sign-in code:
    -- the database never holds one in clear.
    id_hash     TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'login_code')),
    -- The address the token was mailed to (for an email change: the new address).
    email       TEXT NOT NULL,
    -- Wrong guesses so far (sign-in codes).
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE INDEX tokens_user_purpose ON tokens (user_id, purpose);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

-- Mail waiting to be sent. It survives a restart, is retried with back-off, and is
-- claimed by one instance at a time (next_attempt_at moves forward while one sends it).
CREATE TABLE mail_queue (
    id               TEXT PRIMARY KEY NOT NULL,
    -- The message as encrypted JSON (XChaCha20-Poly1305 under a key derived from the
    -- secret key): it carries links and codes, which must not sit in the database in clear.
    payload          BLOB NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL
);

CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at);
