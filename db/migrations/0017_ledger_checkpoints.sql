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
-- A mark's reasoning (lib/payouts/checkpoints.ts) needs two things the database now enforces rather than
-- trusts: the line sequence hands IDs out one at a time (CACHE 1: with a cache, a session could later write an
-- ID below a mark taken meanwhile), and a transaction holds its transaction ID before it draws a line ID (the
-- default below takes one first; `nextval` alone assigns none most of the time).
ALTER SEQUENCE "ledger_lines_id_seq" CACHE 1;--> statement-breakpoint
CREATE FUNCTION ledger_line_id() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN nextval('ledger_lines_id_seq');
END $$;--> statement-breakpoint
ALTER TABLE "ledger_lines" ALTER COLUMN "id" SET DEFAULT ledger_line_id();--> statement-breakpoint
-- A mark is taken only by this function, as the owner: the sequence's value first, then the recording
-- statement's own transaction ID (every ID handed out before it is smaller). The app's role cannot insert a
-- mark of its own making, change one, or change or delete a checkpoint; it may set complete_at (a run that
-- visited every campaign account) and drop old marks, whose checkpoints go with them by the foreign key (run
-- as the table's owner). A wrong checkpoint would pay a wrong amount: the audit recomputes every one.
CREATE FUNCTION take_ledger_mark() RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  upto bigint;
  mark bigint;
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'take_ledger_mark() must run in a transaction of its own (its ID is the mark''s bound)';
  END IF;
  IF (SELECT seqcache FROM pg_sequence WHERE seqrelid = 'ledger_lines_id_seq'::regclass) <> 1 THEN
    RAISE EXCEPTION 'ledger_lines_id_seq must have CACHE 1 for ledger marks (lib/payouts/checkpoints.ts)';
  END IF;
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO upto FROM ledger_lines_id_seq;
  INSERT INTO ledger_marks (upto_line, xid_bound, taken_at)
    VALUES (upto, pg_current_xact_id()::text::bigint, clock_timestamp())
    RETURNING id INTO mark;
  RETURN mark;
END $$;--> statement-breakpoint
REVOKE ALL ON FUNCTION take_ledger_mark() FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION take_ledger_mark() TO crowdfund_app;--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON "ledger_checkpoints" FROM crowdfund_app;--> statement-breakpoint
REVOKE INSERT, UPDATE, TRUNCATE ON "ledger_marks" FROM crowdfund_app;--> statement-breakpoint
GRANT UPDATE ("complete_at") ON "ledger_marks" TO crowdfund_app;
