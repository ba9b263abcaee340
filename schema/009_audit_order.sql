-- An entry's id and time are given while its writer holds the chain lock, so
-- the chain, the ids and the times have one order. Before, the id came from
-- the column default, taken before the lock: a transaction that waited for
-- the lock could be chained after entries with higher ids, and `audit
-- verify` then reported a break that nobody had made.

ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;
ALTER TABLE audit_log ALTER COLUMN at DROP DEFAULT;

CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- One writer at a time, across every server process, until commit.
    PERFORM pg_advisory_xact_lock(7340002);
    NEW.id := nextval('audit_log_id_seq');
    NEW.at := clock_timestamp();
    SELECT hash INTO NEW.prev_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.hash := audit_entry_hash(NEW);
    RETURN NEW;
END
$$;
