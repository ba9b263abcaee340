-- The networks of a room (its wifi's subnet, its wired seats): when a room
-- has any, checking oneself in to a meeting held there must come from an
-- address inside them (collab_server/domain/room_networks.py), so a photo of
-- the room's QR code sent by chat checks in nobody who is elsewhere. Empty:
-- the room is not bound to a network.
ALTER TABLE rooms ADD COLUMN networks cidr[] NOT NULL DEFAULT '{}';
