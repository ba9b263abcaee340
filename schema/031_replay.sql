-- Replay of an ended meeting (docs/replay.md): the room as it was at any moment,
-- rebuilt from the updates of `meeting/{id}/room` and `meeting/{id}/ink` in order.
-- Compaction squashes those updates into a snapshot and deletes them; from now on
-- it first copies them here, in the same transaction, with the time each was
-- stored. Kept for as long as the meeting is (deleted with it).
CREATE TABLE doc_history (
    id          bigint NOT NULL,            -- the row's id in doc_updates
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    name        text NOT NULL,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (name, id)
);
CREATE INDEX doc_history_meeting_idx ON doc_history (meeting_id);

-- The time an update was stored, not the time its transaction began: an intent
-- waits for the room's lock inside its transaction, and replay orders the room
-- by these times against the event log (whose `at` is clock_timestamp() too).
ALTER TABLE doc_updates ALTER COLUMN created_at SET DEFAULT clock_timestamp();

-- Inspectors (thanh tra): accounts a body admin lets read the replay of the
-- body's ended meetings, without taking part in them.
CREATE TABLE replay_readers (
    user_id     bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    body_id     bigint NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,
    granted_by  bigint REFERENCES users(id),
    granted_at  timestamptz NOT NULL DEFAULT now()
);
