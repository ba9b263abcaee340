-- After the session: approved minutes (biên bản) and conclusion notices
-- (thông báo kết luận), frozen once written; a body's place name for the
-- header of its documents and how long its records are kept.

ALTER TABLE bodies
    -- The place name in the header of the body's documents ("Hà Tĩnh, ngày ...").
    ADD COLUMN place text NOT NULL DEFAULT '',
    -- Years the records of a meeting are kept once archived; NULL: permanently
    -- (vĩnh viễn). Nothing is deleted automatically either way.
    ADD COLUMN retention_years integer CHECK (retention_years BETWEEN 1 AND 100);

-- Every approval stores a new version; none is ever changed or removed. The
-- header and signers are kept as they were at approval (`layout`), so the
-- PDF of a version stays the same when a name changes later.
CREATE TABLE minutes_versions (
    meeting_id   bigint NOT NULL REFERENCES meetings(id),
    version      integer NOT NULL CHECK (version >= 1),
    number       text NOT NULL DEFAULT '',
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 500000),
    sha256       bytea NOT NULL CHECK (sha256 = sha256(convert_to(text, 'UTF8'))),
    layout       jsonb NOT NULL,
    approved_by  bigint NOT NULL REFERENCES users(id),
    approved_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    text_folded  text NOT NULL DEFAULT '',
    search       tsvector GENERATED ALWAYS AS (to_tsvector('simple', text_folded)) STORED,
    PRIMARY KEY (meeting_id, version)
);
CREATE INDEX minutes_versions_search_idx ON minutes_versions USING gin (search);

CREATE TABLE conclusion_notices (
    meeting_id       bigint NOT NULL REFERENCES meetings(id),
    version          integer NOT NULL CHECK (version >= 1),
    number           text NOT NULL DEFAULT '',
    text             text NOT NULL CHECK (length(text) BETWEEN 1 AND 500000),
    sha256           bytea NOT NULL CHECK (sha256 = sha256(convert_to(text, 'UTF8'))),
    layout           jsonb NOT NULL,
    -- The approved minutes it was drafted from.
    minutes_version  integer NOT NULL,
    deadline         date NOT NULL,
    issued_by        bigint NOT NULL REFERENCES users(id),
    issued_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (meeting_id, version),
    FOREIGN KEY (meeting_id, minutes_version) REFERENCES minutes_versions(meeting_id, version)
);

CREATE FUNCTION refuse_frozen_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'frozen: % rows are approved records and never change', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Approve a new version instead.';
END
$$;

CREATE TRIGGER minutes_versions_frozen BEFORE UPDATE OR DELETE ON minutes_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_change();
CREATE TRIGGER minutes_versions_no_truncate BEFORE TRUNCATE ON minutes_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_frozen_change();
CREATE TRIGGER conclusion_notices_frozen BEFORE UPDATE OR DELETE ON conclusion_notices
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_change();
CREATE TRIGGER conclusion_notices_no_truncate BEFORE TRUNCATE ON conclusion_notices
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_frozen_change();
