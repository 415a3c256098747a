ALTER TABLE "sandbox_payments" ADD COLUMN "client_secret" text;--> statement-breakpoint
ALTER TABLE "sandbox_payments" ADD COLUMN "settles_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "provider" text;--> statement-breakpoint
-- Provider separation (docs/payouts.md): every ledger entry names the provider whose money it moves.
-- Backfill of the entries made before the column existed, inside this migration's transaction, with the
-- append-only trigger (0002) off for exactly these UPDATEs:
-- 1. an entry with a line on a provider's own account (provider_clearing, dispute_reserve: owner = the
--    provider's name) moves that provider's money;
-- 2. the others by what they reference (kind, reference): payout entries their payout's provider, dispute
--    entries their dispute's (dispute_opened and dispute_won only move money between campaign accounts),
--    contribution and refund entries their row's.
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
--> statement-breakpoint
UPDATE ledger_entries e SET provider = p.owner
FROM (
  SELECT l.entry_id, min(a.owner) AS owner FROM ledger_lines l
  JOIN ledger_accounts a ON a.id = l.account_id
  -- As text: on a fresh database 0008's new enum value is not committed yet in this transaction.
  WHERE a.kind::text IN ('provider_clearing', 'dispute_reserve')
  GROUP BY l.entry_id
) p
WHERE p.entry_id = e.id AND e.provider IS NULL;
--> statement-breakpoint
UPDATE ledger_entries e SET provider = p.provider FROM payouts p
WHERE e.provider IS NULL AND e.kind IN ('payout', 'payout_submitted', 'payout_failed') AND e.reference = p.id::text;
--> statement-breakpoint
UPDATE ledger_entries e SET provider = d.provider FROM disputes d
WHERE e.provider IS NULL AND e.kind LIKE 'dispute%' AND e.reference = d.id;
--> statement-breakpoint
UPDATE ledger_entries e SET provider = c.provider FROM contributions c
WHERE e.provider IS NULL AND e.kind = 'contribution' AND e.reference = c.id::text;
--> statement-breakpoint
UPDATE ledger_entries e SET provider = r.provider FROM refunds r
WHERE e.provider IS NULL AND e.kind IN ('refund', 'refund_failed') AND e.reference = r.id::text;
--> statement-breakpoint
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
--> statement-breakpoint
-- Every entry moves some provider's money, so none may lack one. An entry the rules above could not place
-- stops the migration here, with its kinds, rather than become money no payout can tell apart.
DO $$
DECLARE
  missing record;
BEGIN
  SELECT count(*) AS n, string_agg(DISTINCT kind, ', ') AS kinds INTO missing FROM ledger_entries WHERE provider IS NULL;
  IF missing.n > 0 THEN
    RAISE EXCEPTION '% ledger entries (kinds: %) name no provider and none could be derived; set ledger_entries.provider for them by hand, then migrate again', missing.n, missing.kinds;
  END IF;
END $$;
--> statement-breakpoint
ALTER TABLE ledger_entries ALTER COLUMN provider SET NOT NULL;
--> statement-breakpoint
-- A line on a provider's own account (provider_clearing, dispute_reserve) belongs to an entry of that
-- provider: one entry never mixes two providers' money.
CREATE FUNCTION ledger_check_line_provider() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acct record;
  entry_provider text;
BEGIN
  SELECT kind, owner INTO acct FROM ledger_accounts WHERE id = NEW.account_id;
  IF acct.kind::text IN ('provider_clearing', 'dispute_reserve') THEN
    SELECT provider INTO entry_provider FROM ledger_entries WHERE id = NEW.entry_id;
    IF entry_provider IS DISTINCT FROM acct.owner THEN
      RAISE EXCEPTION 'ledger line on % of provider % in an entry of provider %', acct.kind, acct.owner, entry_provider
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_lines_provider BEFORE INSERT ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_check_line_provider();
