-- Fingerprints of the keys each server holds outside the database
-- (collab_server/keys.py): a server whose key differs from the one recorded
-- here refuses to start. A fingerprint is an HMAC under the key itself and
-- tells nothing about it.
CREATE TABLE server_keys (
    name        text PRIMARY KEY,
    fingerprint text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
