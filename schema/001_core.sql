-- Bodies, people, sessions, meetings, live documents, event and audit logs.

CREATE TABLE bodies (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    body_id        bigint NOT NULL REFERENCES bodies(id),
    username       text NOT NULL,
    full_name      text NOT NULL,
    title          text NOT NULL DEFAULT '',
    unit           text NOT NULL DEFAULT '',
    password_hash  text NOT NULL,
    is_admin       boolean NOT NULL DEFAULT false,
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Only a hash of the token is kept: a stolen table opens no session.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE rooms (
    id        bigserial PRIMARY KEY,
    body_id   bigint NOT NULL REFERENCES bodies(id),
    name      text NOT NULL,
    seats     integer NOT NULL DEFAULT 0
);

CREATE TABLE meetings (
    id          bigserial PRIMARY KEY,
    body_id     bigint NOT NULL REFERENCES bodies(id),
    room_id     bigint REFERENCES rooms(id),
    title       text NOT NULL,
    kind        text NOT NULL DEFAULT 'regular',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    status      text NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'invited', 'in_session', 'ended', 'archived')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meeting_participants (
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id),
    role        text NOT NULL CHECK (role IN ('chair', 'secretary', 'delegate', 'guest', 'display')),
    PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE agenda_items (
    id            bigserial PRIMARY KEY,
    meeting_id    bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    position      integer NOT NULL,
    title         text NOT NULL,
    presenter     text NOT NULL DEFAULT '',
    duration_min  integer NOT NULL DEFAULT 0,
    UNIQUE (meeting_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE documents (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    title       text NOT NULL,
    page_count  integer NOT NULL CHECK (page_count >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Live CRDT documents: a compacted snapshot plus the updates since.
CREATE TABLE doc_snapshots (
    name        text PRIMARY KEY,
    data        bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE doc_updates (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX doc_updates_name_idx ON doc_updates (name, id);

CREATE TABLE meeting_events (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id    bigint REFERENCES users(id),
    kind        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX meeting_events_meeting_idx ON meeting_events (meeting_id, id);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id    bigint REFERENCES users(id),
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}'
);
