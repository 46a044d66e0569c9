-- Identities at outside OpenID providers, linked to accounts.
--
-- An account made through a provider has no password until the person sets one (a reset
-- works for it): its `password_hash` is the empty string, which no argon2 PHC string is,
-- so no password ever matches it.

CREATE TABLE identities (
    -- The link's list id (UUIDv7 text).
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The provider's id in Latchkey's configuration, for display.
    provider    TEXT NOT NULL,
    -- Who the identity is: the provider's issuer and its subject there.
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    -- The address the provider gave when the identity was linked, if any.
    email       TEXT,
    linked_at   INTEGER NOT NULL
);

CREATE UNIQUE INDEX identities_issuer_subject_key ON identities (issuer, subject);
CREATE INDEX identities_user ON identities (user_id);
