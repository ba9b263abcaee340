-- Running the session: attendance, speakers and speeches, item times, rules.

ALTER TABLE meetings
    -- Quorum: more than half ('half') or at least two thirds ('two_thirds') of
    -- the members (chair and delegates), or 'none'.
    ADD COLUMN quorum_rule text NOT NULL DEFAULT 'half'
        CHECK (quorum_rule IN ('none', 'half', 'two_thirds')),
    ADD COLUMN speech_limit_s integer NOT NULL DEFAULT 300 CHECK (speech_limit_s >= 0),
    ADD COLUMN allow_proxy boolean NOT NULL DEFAULT false,
    ADD COLUMN opened_at timestamptz,
    ADD COLUMN opened_by bigint REFERENCES users(id),
    ADD COLUMN closed_at timestamptz;

ALTER TABLE agenda_items
    ADD COLUMN speech_limit_s integer CHECK (speech_limit_s >= 0),
    ADD COLUMN started_at timestamptz,
    ADD COLUMN ended_at timestamptz;

CREATE TABLE attendance (
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id),
    present     boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    device      text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    marked_by   bigint REFERENCES users(id),
    PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE speaker_requests (
    id            bigserial PRIMARY KEY,
    meeting_id    bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users(id),
    kind          text NOT NULL CHECK (kind IN ('speech', 'question', 'point_of_order')),
    item_id       bigint REFERENCES agenda_items(id) ON DELETE SET NULL,
    requested_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'withdrawn', 'speaking', 'done')),
    rank          double precision NOT NULL
);
-- One open request per person at a time.
CREATE UNIQUE INDEX speaker_requests_open_idx ON speaker_requests (meeting_id, user_id)
    WHERE status IN ('queued', 'speaking');

CREATE TABLE speeches (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    request_id  bigint REFERENCES speaker_requests(id),
    user_id     bigint NOT NULL REFERENCES users(id),
    kind        text NOT NULL,
    item_id     bigint REFERENCES agenda_items(id) ON DELETE SET NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    limit_s     integer NOT NULL
);
CREATE INDEX speeches_meeting_idx ON speeches (meeting_id, started_at);
