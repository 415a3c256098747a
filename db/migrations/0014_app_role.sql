-- The app does not connect as the database owner (docs/operations.md, "Database roles"; docs/security.md).
-- Migrations run as the owner (DATABASE_URL); the app's request and worker pools act as crowdfund_app,
-- which may read and write rows but owns nothing: no DDL (so no DROP TRIGGER, no ALTER TABLE … DISABLE
-- TRIGGER), no TRUNCATE, and on the ledger only SELECT and INSERT. A role is one per server: several
-- databases on one server (the test suite's) share it, each granting it its own tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crowdfund_app') THEN
    BEGIN
      CREATE ROLE crowdfund_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database's migration made it meanwhile
    END;
  END IF;
END $$;
--> statement-breakpoint
-- Before PostgreSQL 15 every role may create objects in the public schema; none but the owner may here.
-- (Only the schema's owner can revoke it: for anyone else this is a warning, not an error.)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO crowdfund_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO crowdfund_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ledger_accounts, ledger_entries, ledger_lines FROM crowdfund_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO crowdfund_app;
--> statement-breakpoint
-- Tables and sequences later migrations create are granted the same way; a later ledger table must revoke
-- UPDATE and DELETE itself (tests/integration/ledger-integrity.test.ts lists what the role may do).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO crowdfund_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO crowdfund_app;
--> statement-breakpoint
-- With one connection string (Vercel), the app logs in as the owner and acts as crowdfund_app (the `role`
-- startup parameter), which needs membership; a superuser has it implicitly.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, 'crowdfund_app', 'MEMBER') THEN
    EXECUTE format('GRANT crowdfund_app TO %I', current_user);
  END IF;
END $$;
