-- Personal API tokens, and one-time sign-in grants (signed URLs and tickets).

CREATE TABLE api_tokens (
    -- The token's list id (UUIDv7 text): shown and used to revoke it, never its secret.
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- A keyed hash (HMAC) of the secret: a copy of the database yields no usable token.
    secret_hash   TEXT NOT NULL UNIQUE,
    -- The scopes, space-separated ("read write").
    scopes        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    -- Moved to the moment of revocation when the token is revoked.
    expires_at    TIMESTAMPTZ NOT NULL,
    -- Written at most once a minute, so that reads stay reads.
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);

CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- A signed URL or a ticket: single use, short-lived, stored only as a keyed hash.
CREATE TABLE grants (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('signed_url', 'ticket')),
    -- For a signed URL: the path and query it was made for.
    target      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX grants_expires_at ON grants (expires_at);
