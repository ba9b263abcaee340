-- Digital signatures applied to the body's own documents (documents/pades.py):
-- each row is one signature, an incremental update on the bytes of the row
-- before it (seq - 1), or on the version as first rendered. The latest row's
-- file is what the version downloads as from then on. Rows are never changed
-- or deleted: a later change to a document is a new version, signed anew.
CREATE TABLE signed_versions (
    kind          text NOT NULL CHECK (kind IN ('minutes', 'conclusion')),
    meeting_id    bigint NOT NULL REFERENCES meetings(id),
    version       integer NOT NULL CHECK (version >= 1),
    seq           integer NOT NULL CHECK (seq >= 1),
    pdf_sha256    bytea NOT NULL REFERENCES files(sha256),
    signer_id     bigint NOT NULL REFERENCES users(id),
    signer_name   text NOT NULL,
    signer_title  text NOT NULL,
    -- The certificate's subject, as the signature names it.
    certificate   text NOT NULL,
    signed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (kind, meeting_id, version, seq),
    UNIQUE (kind, meeting_id, version, signer_id)
);

CREATE TRIGGER signed_versions_frozen BEFORE UPDATE OR DELETE ON signed_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_change();
CREATE TRIGGER signed_versions_no_truncate BEFORE TRUNCATE ON signed_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_frozen_change();
