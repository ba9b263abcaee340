-- Laptops registered as devices of a room (collab_server/domain/pin.py): on
-- one of them a person invited to a meeting in that room today signs in with
-- a six-digit PIN instead of the password. The laptop holds a random token
-- in an HttpOnly cookie; only its hash is kept here, so a dump of this table
-- registers no laptop. Revoked devices stay on record.
CREATE TABLE room_devices (
    id            bigserial PRIMARY KEY,
    room_id       bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    name          text NOT NULL,
    registered_by bigint REFERENCES users(id),
    registered_at timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    bigint REFERENCES users(id)
);
CREATE INDEX room_devices_room_idx ON room_devices (room_id);

-- A person's PIN: an HMAC-SHA256 under a key the server keeps outside the
-- database (keys folder, `pin.key`), so the row alone does not give the six
-- digits back however fast the hash. `failures` counts wrong PINs in a row;
-- at the limit `locked_at` is set and only a password login clears it.
CREATE TABLE user_pins (
    user_id   bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    pin_mac   bytea NOT NULL,
    set_at    timestamptz NOT NULL DEFAULT now(),
    failures  integer NOT NULL DEFAULT 0,
    locked_at timestamptz
);

-- A new password ends what the old one vouched for, the PIN included: a
-- reset after a stolen password must not leave the thief's PIN in place.
-- (The owner's own change, an admin's reset, and a hash re-made after the
-- operator changed the hashing setting all come here; the PIN is set again
-- on the account screen.)
CREATE FUNCTION user_pins_drop_on_new_password() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_pins WHERE user_id = NEW.id;
    RETURN NEW;
END $$;
CREATE TRIGGER users_new_password_drops_pin
    AFTER UPDATE OF password_hash ON users
    FOR EACH ROW WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION user_pins_drop_on_new_password();
