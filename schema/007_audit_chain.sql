-- The audit log is append-only and each entry is chained to the one before
-- by a SHA-256 hash, so `phonghop audit verify` finds any edited, deleted or
-- reordered entry (even one changed by someone who bypassed these triggers).

ALTER TABLE audit_log
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash bytea;

CREATE FUNCTION audit_entry_hash(e audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(
        concat_ws('|', e.id::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                  coalesce(e.actor_id::text, ''), e.action, e.target, e.ip,
                  e.details::text, encode(coalesce(e.prev_hash, ''::bytea), 'hex')),
        'UTF8'))
$$;

CREATE FUNCTION audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- One writer at a time, across every server process, until commit: the
    -- chain follows the order of the ids.
    PERFORM pg_advisory_xact_lock(7340002);
    SELECT hash INTO NEW.prev_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.hash := audit_entry_hash(NEW);
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_chain();

CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Entries written before the chain existed get chained now, in id order.
DO $$
DECLARE
    e audit_log;
    previous bytea := NULL;
BEGIN
    ALTER TABLE audit_log DISABLE TRIGGER audit_append_only;
    FOR e IN SELECT * FROM audit_log ORDER BY id LOOP
        e.prev_hash := previous;
        UPDATE audit_log SET prev_hash = previous, hash = audit_entry_hash(e) WHERE id = e.id
            RETURNING hash INTO previous;
    END LOOP;
    ALTER TABLE audit_log ENABLE TRIGGER audit_append_only;
END
$$;

-- Failed logins, for throttling per account and per address.
CREATE TABLE login_failures (
    username  text NOT NULL,
    ip        text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_user_idx ON login_failures (lower(username), at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);
