-- Balance checkpoints for the daily flush (lib/payouts/checkpoints.ts, docs/payouts.md "Checkpoints"): a run
-- adds up only the lines written since the last complete checkpoint, not every campaign's whole history.
-- The (account_id, id) index replaces (account_id): it answers what the old one did, and "this account's
-- lines after line N" without reading the ones before.
CREATE TABLE "ledger_checkpoints" (
	"mark_id" bigint NOT NULL,
	"account_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"balance" bigint NOT NULL,
	CONSTRAINT "ledger_checkpoints_mark_id_account_id_provider_pk" PRIMARY KEY("mark_id","account_id","provider")
);
--> statement-breakpoint
CREATE TABLE "ledger_marks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL,
	"upto_line" bigint NOT NULL,
	"xid_bound" bigint NOT NULL,
	"complete_at" timestamp with time zone
);
--> statement-breakpoint
DROP INDEX "ledger_lines_account_idx";--> statement-breakpoint
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_mark_id_ledger_marks_id_fk" FOREIGN KEY ("mark_id") REFERENCES "public"."ledger_marks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_lines_account_line_idx" ON "ledger_lines" USING btree ("account_id","id");--> statement-breakpoint
-- The app's role (migration 0014) writes checkpoints but never changes one: a run that finds a wrong one would
-- pay a wrong amount, and the audit recomputes them. Of a mark it may only set complete_at, and drop old marks
-- (their checkpoints go with them by the foreign key, which PostgreSQL runs as the table's owner).
REVOKE UPDATE, DELETE, TRUNCATE ON "ledger_checkpoints" FROM crowdfund_app;--> statement-breakpoint
REVOKE UPDATE, TRUNCATE ON "ledger_marks" FROM crowdfund_app;--> statement-breakpoint
GRANT UPDATE ("complete_at") ON "ledger_marks" TO crowdfund_app;
