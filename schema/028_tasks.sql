-- Tasks from the conclusion notice (giao việc, theo dõi, nhắc việc): what a
-- notice (or the office by hand) assigns to a unit or a person, with its
-- deadline, and every step it took. "Overdue" is not stored: it is read from
-- the deadline and the day (collab_server/domain/tasks.py).

CREATE TABLE tasks (
    id               bigserial PRIMARY KEY,
    body_id          bigint NOT NULL REFERENCES bodies(id),
    -- The meeting and the notice version it came from; NULL for a task made by hand.
    meeting_id       bigint REFERENCES meetings(id),
    notice_version   integer,
    item_no          text NOT NULL DEFAULT '' CHECK (length(item_no) <= 20),
    title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 2000),
    title_folded     text NOT NULL DEFAULT '',
    unit_id          bigint REFERENCES body_units(id) ON DELETE SET NULL,
    -- The unit's name as assigned, kept when the unit is renamed or removed.
    unit_name        text NOT NULL DEFAULT '',
    assignee_id      bigint REFERENCES users(id),
    assigned_on      date NOT NULL,
    -- As the notice counted it; the deadline is what the board reads.
    working_days     integer CHECK (working_days BETWEEN 1 AND 1000),
    deadline         date NOT NULL CHECK (deadline >= assigned_on),
    status           text NOT NULL DEFAULT 'assigned'
                     CHECK (status IN ('assigned', 'in_progress', 'extension_asked', 'done')),
    progress         integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    -- While an extension is asked: the date asked for and the status to go back to.
    asked_until      date,
    asked_reason     text NOT NULL DEFAULT '',
    status_before    text,
    -- The last answer to an extension: 'granted' or 'refused'.
    extension        text CHECK (extension IN ('granted', 'refused')),
    report           text NOT NULL DEFAULT '',
    done_on          date,
    created_by       bigint NOT NULL REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (unit_id IS NOT NULL OR assignee_id IS NOT NULL OR unit_name <> ''),
    CHECK ((status = 'extension_asked') = (asked_until IS NOT NULL)),
    FOREIGN KEY (meeting_id, notice_version)
        REFERENCES conclusion_notices(meeting_id, version)
);
CREATE INDEX tasks_body_idx ON tasks (body_id, deadline);
CREATE INDEX tasks_meeting_idx ON tasks (meeting_id) WHERE meeting_id IS NOT NULL;
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;
-- One task per item of a notice: creating twice from the same notice adds nothing.
CREATE UNIQUE INDEX tasks_notice_item_key ON tasks (meeting_id, notice_version, item_no)
    WHERE meeting_id IS NOT NULL AND item_no <> '';

-- The history of a task, shown on its page: every step, never changed.
CREATE TABLE task_events (
    id           bigserial PRIMARY KEY,
    task_id      bigint NOT NULL REFERENCES tasks(id),
    kind         text NOT NULL,
    from_status  text,
    to_status    text NOT NULL,
    note         text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}',
    by_id        bigint NOT NULL REFERENCES users(id),
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX task_events_task_idx ON task_events (task_id, id);
CREATE TRIGGER task_events_frozen BEFORE UPDATE OR DELETE ON task_events
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_change();

-- Files a responsible person attaches to a progress note or the final report.
CREATE TABLE task_attachments (
    id          bigserial PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES tasks(id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    media_type  text NOT NULL,
    sha256      bytea NOT NULL REFERENCES files(sha256),
    size        bigint NOT NULL,
    by_id       bigint NOT NULL REFERENCES users(id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX task_attachments_task_idx ON task_attachments (task_id);
