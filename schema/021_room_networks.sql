-- The networks of a room (its wifi's subnet, its wired seats): when a room
-- has any, checking oneself in to a meeting held there must come from an
-- address inside them (collab_server/domain/room_networks.py), so a photo of
-- the room's QR code sent by chat checks in nobody who is elsewhere. Empty:
-- the room is not bound to a network.
ALTER TABLE rooms ADD COLUMN networks cidr[] NOT NULL DEFAULT '{}';

-- Databases that applied schema/015 before it kept its demotions on record
-- have no `migration_audit`; the server reads it at every start
-- (collab_server/storage/migration_audit.py).
CREATE TABLE IF NOT EXISTS migration_audit (
    id         bigserial PRIMARY KEY,
    migration  text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    details    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
