-- A display account belongs to one room: the projector shows the meeting in
-- session there without being named on each meeting. Only display accounts
-- carry a room; a person logs in on any laptop of any room.
ALTER TABLE users ADD COLUMN room_id bigint REFERENCES rooms(id);
CREATE INDEX users_room_idx ON users (room_id) WHERE room_id IS NOT NULL;
