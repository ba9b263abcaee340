-- The audit chain is sealed behind the writers instead of in front of them.
--
-- Before, every transaction that wrote an audit entry took one lock for the
-- whole database until it committed, so every audited action of every meeting
-- (intents, page views, logins) committed one after another, each waiting for
-- the disk flush of the one before; one slow flush stalled all meetings.
-- Now entries are written without a lock, and `audit_seal()` (run by every
-- server process each second, and by `phonghop audit verify`) gives the
-- committed, unsealed entries their place in the chain: a sequence number,
-- the hash of the entry before it, and their own hash, which covers the
-- sequence number. The chain follows `seq`; an entry is sealed within about a
-- second of being written. (The old trigger also took an entry's id before
-- its lock, so a writer that waited could be chained after higher ids and
-- `audit verify` reported a break nobody made; sealing in one place ends that.)

ALTER TABLE audit_log ADD COLUMN seq bigint UNIQUE;
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE seq IS NULL;

DROP TRIGGER audit_chain ON audit_log;
DROP FUNCTION audit_chain();

CREATE OR REPLACE FUNCTION audit_entry_hash(e audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(
        concat_ws('|', e.seq::text, e.id::text,
                  to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                  coalesce(e.actor_id::text, ''), e.action, e.target, e.ip,
                  e.details::text, encode(coalesce(e.prev_hash, ''::bytea), 'hex')),
        'UTF8'))
$$;

-- Rows may not change, except to be sealed once with their content untouched.
DROP TRIGGER audit_append_only ON audit_log;
CREATE TRIGGER audit_append_only BEFORE DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE FUNCTION audit_sealing_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.target, NEW.ip, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.target, OLD.ip, OLD.details) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_sealing_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_sealing_only();

-- Seals what is committed and unsealed, in id order; one sealer at a time
-- (others return 0 at once). Returns how many entries it sealed.
CREATE FUNCTION audit_seal() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    e audit_log;
    last_seq bigint;
    last_hash bytea;
    sealed integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7340002) THEN
        RETURN 0;
    END IF;
    SELECT seq, hash INTO last_seq, last_hash FROM audit_log
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    FOR e IN SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 50000 LOOP
        last_seq := last_seq + 1;
        e.seq := last_seq;
        e.prev_hash := last_hash;
        last_hash := audit_entry_hash(e);
        UPDATE audit_log SET seq = e.seq, prev_hash = e.prev_hash, hash = last_hash
            WHERE id = e.id;
        sealed := sealed + 1;
    END LOOP;
    RETURN sealed;
END
$$;

-- Entries chained before get their sequence numbers and new hashes now, in id
-- order (the old chain was in id order).
DO $$
BEGIN
    ALTER TABLE audit_log DISABLE TRIGGER audit_sealing_only;
    UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL;
    ALTER TABLE audit_log ENABLE TRIGGER audit_sealing_only;
    LOOP
        EXIT WHEN audit_seal() = 0;
    END LOOP;
END
$$;
