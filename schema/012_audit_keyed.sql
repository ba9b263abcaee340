-- The audit chain is keyed: from here on each entry's hash is an HMAC-SHA256
-- under the audit key of the server's keys folder (collab_server/storage/
-- audit.py), computed by the server, never by the database, which does not
-- hold the key. Someone with the whole database can no longer recompute the
-- chain after changing an entry.
--
-- Entries sealed before keep their SHA-256 chain up to `keyed_after`; the
-- first keyed entry covers the hash of the last of them. The server exports
-- each new head with this boundary to a file the database cannot write, so
-- moving the boundary shows too.

-- When the server sealed the entry (its own clock; covered by the hash): an
-- entry sealed long after its date was inserted later than it claims.
ALTER TABLE audit_log ADD COLUMN sealed_at timestamptz;

CREATE TABLE audit_chain_start (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    keyed_after  bigint NOT NULL
);

-- Seal what the old sealer has not yet, wait for any old server sealing now,
-- and end the unkeyed chain there.
DO $$
BEGIN
    PERFORM pg_advisory_xact_lock(7340002);
    LOOP
        EXIT WHEN audit_seal() = 0;
    END LOOP;
END
$$;
INSERT INTO audit_chain_start (keyed_after) SELECT coalesce(max(seq), 0) FROM audit_log;
DROP FUNCTION audit_seal();

-- An entry's date is the database's clock when it is written, and only the
-- sealer gives it a place in the chain: an INSERT can neither backdate an
-- entry nor pretend it is sealed.
CREATE FUNCTION audit_new_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.at := clock_timestamp();
    NEW.seq := NULL;
    NEW.prev_hash := NULL;
    NEW.hash := NULL;
    NEW.sealed_at := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_new_entry BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_new_entry();

-- Sealing sets seq, prev_hash, hash and sealed_at once, the content untouched.
CREATE OR REPLACE FUNCTION audit_sealing_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND OLD.sealed_at IS NULL
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.target, NEW.ip, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.target, OLD.ip, OLD.details) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

-- The boundary never changes once written.
CREATE TRIGGER audit_chain_start_frozen BEFORE UPDATE OR DELETE ON audit_chain_start
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_change();
CREATE TRIGGER audit_chain_start_no_truncate BEFORE TRUNCATE ON audit_chain_start
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_frozen_change();
