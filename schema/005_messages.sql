-- Messages from a delegate to the secretary or the chair, and their answers.

CREATE TABLE messages (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    sender_id   bigint NOT NULL REFERENCES users(id),
    to_role     text NOT NULL CHECK (to_role IN ('secretary', 'chair')),
    kind        text NOT NULL CHECK (kind IN ('document_request', 'technical', 'other')),
    text        text NOT NULL,
    sent_at     timestamptz NOT NULL
);
CREATE INDEX messages_meeting_idx ON messages (meeting_id, id);

CREATE TABLE message_replies (
    id          bigserial PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id),
    text        text NOT NULL,
    sent_at     timestamptz NOT NULL
);
