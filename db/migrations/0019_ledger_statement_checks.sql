-- The ledger's line checks, once per statement instead of once per line. Migrations 0002, 0009 and 0013 checked
-- each line in four row triggers (its currency, its provider, its entry still open, and at commit its entry's
-- balance), each running one or two queries of its own: about seven queries per line, and a payout posts four
-- lines (bench:payouts spent most of a payout's bookkeeping there; the seed's commit ran one balance query per
-- line). The same rules now run as four set-based queries over the statement's new lines (a transition table),
-- whatever their number.
--
-- One rule is stricter than before. The balance was checked at commit, per entry, so an entry's lines could
-- arrive over several statements of its transaction. Now the lines each statement adds must balance per entry
-- and currency. Because only the transaction that inserted an entry may add lines to it (the "entry open"
-- rule, kept below), and every one of its statements is checked, every entry still sums to zero at commit.
-- lib/ledger posts each entry's lines in one statement, and so do the seed's COPY and the tests' fixtures.
--
-- Statement triggers are not cloned onto partitions, so each partition of ledger_lines gets its own (below,
-- and ensure_time_partitions for new ones): a partition named directly is checked like the parent.
-- No partition is made while this runs (ensure_time_partitions takes the same lock): one made by the old
-- function body meanwhile would miss the statement trigger.
SELECT pg_advisory_xact_lock(hashtext('crowdfund:partitions'));
--> statement-breakpoint
-- Its search path puts pg_temp last: a session's temporary table named ledger_entries or ledger_accounts
-- would otherwise stand in for the real one in these checks (an attacker's review showed it as the app role).
CREATE FUNCTION ledger_check_new_lines() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  bad record;
BEGIN
  -- A line's currency is its account's currency (was 0002's ledger_check_line_currency). A line whose account
  -- does not exist was refused by its foreign key, which runs first.
  SELECT n.currency, a.currency AS account_currency INTO bad
    FROM new_lines n JOIN ledger_accounts a ON a.id = n.account_id
    WHERE a.currency <> n.currency LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger line currency % differs from its account''s (%)', bad.currency, bad.account_currency
      USING ERRCODE = 'check_violation';
  END IF;
  -- A posted entry is closed: its lines come from the transaction that inserted it (was 0013's
  -- ledger_check_line_entry_open; its comment says why, and why a savepoint's entry is refused too).
  SELECT n.entry_id INTO bad
    FROM new_lines n JOIN ledger_entries e ON e.id = n.entry_id
    WHERE e.xmin IS DISTINCT FROM pg_current_xact_id()::xid LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger entry % is posted: lines are added only by the transaction that inserts the entry', bad.entry_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A line on a provider's own account belongs to an entry of that provider (was 0009's ledger_check_line_provider).
  SELECT a.kind, a.owner, e.provider INTO bad
    FROM new_lines n JOIN ledger_accounts a ON a.id = n.account_id JOIN ledger_entries e ON e.id = n.entry_id
    WHERE a.kind IN ('provider_clearing', 'dispute_reserve') AND e.provider IS DISTINCT FROM a.owner LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger line on % of provider % in an entry of provider %', bad.kind, bad.owner, bad.provider
      USING ERRCODE = 'check_violation';
  END IF;
  -- A line's ID is above every ledger mark taken before this transaction held its ID (lib/payouts/checkpoints.ts):
  -- the default (ledger_line_id) always draws one that is, since such a mark read the sequence before this
  -- transaction's ID, and so before the draw. An explicit ID at or below it would be a line the checkpoints
  -- never count.
  SELECT n.id, m.upto_line INTO bad
    FROM new_lines n,
         (SELECT max(upto_line) AS upto_line FROM ledger_marks
          WHERE xid_bound < pg_current_xact_id()::text::bigint) m
    WHERE n.id <= m.upto_line LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger line ID % is at or below ledger mark line %: line IDs come from the ledger_lines default',
      bad.id, bad.upto_line USING ERRCODE = 'check_violation';
  END IF;
  -- The statement's lines balance per entry and currency (was 0002's deferred ledger_check_entry_balanced).
  SELECT entry_id, currency, sum(amount) AS total INTO bad
    FROM new_lines GROUP BY entry_id, currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger entry % does not balance in %: the lines a statement adds must sum to zero, these sum to %',
      bad.entry_id, bad.currency, bad.total USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER ledger_lines_balanced ON ledger_lines;
--> statement-breakpoint
DROP TRIGGER ledger_lines_currency ON ledger_lines;
--> statement-breakpoint
DROP TRIGGER ledger_lines_provider ON ledger_lines;
--> statement-breakpoint
DROP TRIGGER ledger_lines_entry_open ON ledger_lines;
--> statement-breakpoint
DROP FUNCTION ledger_check_entry_balanced();
--> statement-breakpoint
DROP FUNCTION ledger_check_line_currency();
--> statement-breakpoint
DROP FUNCTION ledger_check_line_provider();
--> statement-breakpoint
DROP FUNCTION ledger_check_line_entry_open();
--> statement-breakpoint
CREATE TRIGGER ledger_lines_checked AFTER INSERT ON ledger_lines REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_lines();
--> statement-breakpoint
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'ledger_lines'::regclass LOOP
    EXECUTE format('CREATE TRIGGER ledger_lines_checked AFTER INSERT ON %s REFERENCING NEW TABLE AS new_lines '
      'FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_lines()', part);
  END LOOP;
END $$;
--> statement-breakpoint
-- The other functions the app role's statements run with their own search path, for the same reason: the
-- lines' ID default names its sequence with its schema (a temporary sequence could otherwise hand out IDs below
-- a ledger mark); the contributions' unique-key trigger (0018) and the cursor guard (0006) get a fixed path.
CREATE OR REPLACE FUNCTION ledger_line_id() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_catalog.pg_current_xact_id();
  RETURN pg_catalog.nextval('public.ledger_lines_id_seq'::regclass);
END $$;
--> statement-breakpoint
ALTER FUNCTION contributions_keep_unique_keys() SET search_path = pg_catalog, public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION consumer_cursor_forward_only() SET search_path = pg_catalog, public, pg_temp;
--> statement-breakpoint
-- And no temporary tables for the app at all: it makes none, and they are the only objects the app role can
-- create. Where the migrating login does not own the database this does nothing (PostgreSQL warns), and the
-- search paths above still hold.
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
--> statement-breakpoint
-- New partitions get the statement trigger as they are made (0018's function, with that one addition).
CREATE OR REPLACE FUNCTION ensure_time_partitions(months_ahead integer DEFAULT 3, since date DEFAULT NULL)
RETURNS TABLE (parent text, partition text, month date, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
  this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  first_month date;
  m date;
  key text;
  lo uuid;
  hi uuid;
  blocked boolean;
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 36 THEN
    RAISE EXCEPTION 'months_ahead must be 0 to 36, not %', months_ahead USING ERRCODE = 'invalid_parameter_value';
  END IF;
  first_month := least(coalesce(date_trunc('month', since)::date, this_month), this_month);
  PERFORM pg_advisory_xact_lock(hashtext('crowdfund:partitions'));
  FOREACH parent IN ARRAY ARRAY['contributions', 'ledger_lines'] LOOP
    key := CASE parent WHEN 'contributions' THEN 'id' ELSE 'entry_id' END;
    m := first_month;
    WHILE m <= (this_month + make_interval(months => months_ahead))::date LOOP
      month := m;
      partition := format('%s_p%s', parent, to_char(m, 'YYYY_MM'));
      lo := uuid_time_floor(m::timestamp AT TIME ZONE 'UTC');
      hi := uuid_time_floor((m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      IF to_regclass(format('public.%I', partition)) IS NOT NULL THEN
        status := 'exists';
      ELSE
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)', parent || '_default', key, key)
          INTO blocked USING lo, hi;
        IF blocked THEN
          status := 'blocked';
        ELSE
          BEGIN
            -- Made apart, then attached: ATTACH takes only SHARE UPDATE EXCLUSIVE on the parent (reads and
            -- writes go on), ACCESS EXCLUSIVE on the new table and on DEFAULT while it checks DEFAULT.
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition, parent);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, partition, lo, hi);
            EXECUTE format('REVOKE ALL ON %I FROM crowdfund_app', partition);
            -- Row triggers are cloned from the parent; a statement trigger is not (0019).
            IF parent = 'ledger_lines' THEN
              EXECUTE format('CREATE TRIGGER ledger_lines_checked AFTER INSERT ON %I REFERENCING NEW TABLE AS new_lines '
                'FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_lines()', partition);
            END IF;
            status := 'created';
          EXCEPTION
            WHEN lock_not_available THEN status := 'busy';
            -- A row of that month reached DEFAULT between the check and the attach.
            WHEN check_violation THEN status := 'blocked';
          END;
        END IF;
      END IF;
      RETURN NEXT;
      m := (m + interval '1 month')::date;
    END LOOP;
  END LOOP;
END $$;
