-- Browser sessions become revocable: a session cookie carries the session_version it was signed in under and is
-- refused once the user's differs ("Sign out everywhere", DELETE /api/me/sessions). Existing cookies carry none
-- and count as version 0, so nobody is signed out by this migration.
ALTER TABLE "users" ADD COLUMN "session_version" integer DEFAULT 0 NOT NULL;