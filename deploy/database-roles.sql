-- Two database roles for production (docs/operations.md, "Database roles").
-- Run once as a PostgreSQL superuser, in the application's database:
--     createdb phonghop
--     psql -d phonghop -f deploy/database-roles.sql
--     psql -d phonghop -c "\password phonghop_owner" -c "\password phonghop_app"
--
-- phonghop_owner owns the tables and runs `phonghop migrate`; its password is
-- kept by the administrators, never on the application servers.
-- phonghop_app is what the servers connect as: it owns nothing, so it cannot
-- switch a table's triggers off, and deploy/database-grants.sql lets it only
-- add to the audit log and the approved records.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'phonghop_owner') THEN
        CREATE ROLE phonghop_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'phonghop_app') THEN
        CREATE ROLE phonghop_app LOGIN;
    END IF;
    EXECUTE format('ALTER DATABASE %I OWNER TO phonghop_owner', current_database());
    EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO phonghop_app', current_database());
END
$$;
ALTER SCHEMA public OWNER TO phonghop_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
