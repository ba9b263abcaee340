-- What the application's role may do (docs/operations.md, "Database roles").
-- Run as phonghop_owner after every `phonghop migrate` (it is idempotent):
--     psql "postgresql://phonghop_owner@db/phonghop" -f deploy/database-grants.sql
GRANT USAGE ON SCHEMA public TO phonghop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO phonghop_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO phonghop_app;

-- Records no one changes: read and add only. The audit log's seal columns
-- are written once by the sealer (the trigger audit_sealing_only refuses the
-- rest); the key fingerprints are added by the first server.
REVOKE ALL ON audit_log, audit_chain_start, minutes_versions, conclusion_notices,
    schema_migrations, server_keys FROM phonghop_app;
GRANT SELECT, INSERT ON audit_log, minutes_versions, conclusion_notices, server_keys
    TO phonghop_app;
GRANT UPDATE (seq, prev_hash, hash, sealed_at) ON audit_log TO phonghop_app;
-- keys.ensure_known's INSERT ... ON CONFLICT DO UPDATE SET name (a no-op).
GRANT UPDATE (name) ON server_keys TO phonghop_app;
GRANT SELECT ON audit_chain_start, schema_migrations TO phonghop_app;

-- After each secret poll the server vacuums the ballot tables, so that even
-- dead rows of the poll are gone soon (a supplement: the secrecy does not
-- depend on it). PostgreSQL 17 and later; older versions skip it with a warning.
GRANT MAINTAIN ON poll_ballots, poll_secret_choices TO phonghop_app;
