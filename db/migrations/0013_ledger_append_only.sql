-- The ledger's append-only rule (0002) covered only UPDATE and DELETE of lines and entries, row by row. Three
-- ways around it are closed here (docs/security.md, "Ledger integrity"):
-- 1. TRUNCATE fires no row trigger: a statement-level trigger refuses it on the three ledger tables
--    (ledger_refuse_change() of 0002 names TG_OP, here 'TRUNCATE').
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
-- 2. An account is immutable once created: changing its owner, currency or kind would move every line
--    posted to it (a campaign's collected money to another campaign) without a single new entry. Accounts
--    are made on first use and never deleted either (a line's foreign key already kept one with lines).
CREATE TRIGGER ledger_accounts_append_only BEFORE UPDATE OR DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
-- 3. A posted entry is closed: its lines are inserted by the transaction that inserted the entry, never
--    later. The balance check (0002) is deferred to commit and per entry, so a later transaction adding a
--    balanced pair of lines (campaign A -100, campaign B +100) to an old entry would pass it and move money
--    under that entry's reference. The entry row's xmin (the transaction that inserted it) must be this
--    transaction's ID. An entry inserted inside a savepoint carries the savepoint's own ID and is refused
--    too: lib/ledger posts an entry and its lines in the caller's transaction, never in a savepoint.
CREATE FUNCTION ledger_check_line_entry_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry_xmin xid;
BEGIN
  SELECT xmin INTO entry_xmin FROM ledger_entries WHERE id = NEW.entry_id;
  -- No such entry: the line's foreign key refuses it, with its own message.
  IF FOUND AND entry_xmin IS DISTINCT FROM pg_current_xact_id()::xid THEN
    RAISE EXCEPTION 'ledger entry % is posted: lines are added only by the transaction that inserts the entry', NEW.entry_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_lines_entry_open BEFORE INSERT ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_check_line_entry_open();
