-- Login throttling without a lockout of the right password
-- (collab_server/domain/throttle.py). A failure records the client it came
-- from: a laptop the account signed in on before ("d:" and the hash of its
-- device cookie) or else the address ("a:" and the address), and whether
-- that laptop was known for the account. Only unknown clients count towards
-- the limits of the whole account and of the whole address.
ALTER TABLE login_failures
    ADD COLUMN client       text NOT NULL DEFAULT '',
    ADD COLUMN known_device boolean NOT NULL DEFAULT false;
CREATE INDEX login_failures_client_idx ON login_failures (lower(username), client, at);

-- Laptops (browsers) an account signed in on: the device cookie is random and
-- names nobody; only its hash is kept.
CREATE TABLE login_devices (
    device_hash   bytea NOT NULL,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_login_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_hash, user_id)
);
CREATE INDEX login_devices_user_idx ON login_devices (user_id);
