-- Invitations (giấy mời, template 1.7 of Decree 30/2020/NĐ-CP) produced when
-- a meeting's invitations are sent, and what a body's documents need to be
-- numbered and signed in its own form.

ALTER TABLE bodies
    -- The body's part of document numbers: "UBND" in "Số: 12/GM-UBND".
    ADD COLUMN short_name text NOT NULL DEFAULT '',
    -- Lines above the signer's title for a collective body: "TM. ỦY BAN NHÂN DÂN".
    ADD COLUMN signing_authority text NOT NULL DEFAULT '',
    -- The title of the body's head ("CHỦ TỊCH"): a deputy signs "KT. CHỦ TỊCH",
    -- anyone else "TL. CHỦ TỊCH", above their own title.
    ADD COLUMN head_title text NOT NULL DEFAULT '';

-- Each sending produces a new version; none is ever changed or removed. The
-- PDF is kept as sent: what the invitees received is what is downloaded.
CREATE TABLE meeting_invitations (
    meeting_id   bigint NOT NULL REFERENCES meetings(id),
    version      integer NOT NULL CHECK (version >= 1),
    pdf          bytea NOT NULL CHECK (length(pdf) BETWEEN 1 AND 20000000),
    sha256       bytea NOT NULL CHECK (sha256 = sha256(pdf)),
    -- Full working days between the day it was sent and the meeting's day.
    notice_days  integer NOT NULL CHECK (notice_days >= 0),
    issued_by    bigint NOT NULL REFERENCES users(id),
    issued_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (meeting_id, version)
);

CREATE TRIGGER meeting_invitations_frozen BEFORE UPDATE OR DELETE ON meeting_invitations
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_change();
CREATE TRIGGER meeting_invitations_no_truncate BEFORE TRUNCATE ON meeting_invitations
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_frozen_change();
