-- Partitioning by time (issue 16, item 6; docs/partitioning.md): `contributions` by range of `id` and
-- `ledger_lines` by range of `entry_id`, one partition per calendar month (UTC), plus a DEFAULT partition
-- each. The app makes UUIDv7 IDs, whose first 48 bits are the Unix time in ms: a range of IDs is a range of
-- time, so the keys stay what they were (contributions.id is still the primary key that refunds, disputes
-- and discrepancies reference) and a row's partition is fixed when it is inserted. Rows with IDs of another
-- version (v4, from fixtures or older seeds) go wherever their first 48 bits fall: almost always DEFAULT.
-- Existing rows are copied into the new tables inside this migration's transaction, before the triggers of
-- migrations 0002, 0009 and 0013 are made again on them (so the copy is not refused as a late insert).

-- The smallest UUID whose first 48 bits are `ts` in Unix ms: a partition bound.
CREATE FUNCTION uuid_time_floor(ts timestamptz) RETURNS uuid LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT (lpad(to_hex(floor(extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid
$$;
--> statement-breakpoint
-- The time of a UUIDv7 (its first 48 bits, Unix ms); null for a UUID of another version.
CREATE FUNCTION uuid_v7_time(id uuid) RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN substr(id::text, 15, 1) = '7'
    THEN to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0) END
$$;
--> statement-breakpoint
-- Make the monthly partitions of both tables from `since` (default: this month, UTC) up to `months_ahead`
-- months after this one, and answer one row per month and table: `exists`, `created`, `blocked` (the
-- DEFAULT partition holds rows of that month, so PostgreSQL cannot attach it: they stay in DEFAULT, see
-- docs/partitioning.md) or `busy` (a lock was not granted within lock_timeout; the next call tries again).
-- Idempotent, and safe when processes race: one at a time, under a transaction-scoped advisory lock.
-- SECURITY DEFINER (runs as the tables' owner) so that the least-privilege app role, which may not create
-- tables, can call it at start-up and daily (lib/ops/partitions.ts). A new partition gets no grant: the app
-- reaches rows through the parent, whose privileges are the ones checked.
CREATE FUNCTION ensure_time_partitions(months_ahead integer DEFAULT 3, since date DEFAULT NULL)
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION ensure_time_partitions(integer, date) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION ensure_time_partitions(integer, date) TO crowdfund_app;
--> statement-breakpoint
-- 1. contributions. The foreign keys that point at it are dropped and made again on the new table.
ALTER TABLE "refunds" DROP CONSTRAINT "refunds_contribution_id_contributions_id_fk";
--> statement-breakpoint
ALTER TABLE "disputes" DROP CONSTRAINT "disputes_contribution_id_contributions_id_fk";
--> statement-breakpoint
ALTER TABLE "payment_discrepancies" DROP CONSTRAINT "payment_discrepancies_contribution_id_contributions_id_fk";
--> statement-breakpoint
ALTER TABLE "contributions" RENAME TO "contributions_unpartitioned";
--> statement-breakpoint
-- LIKE keeps the columns in order, their NOT NULLs, defaults and CHECK constraints (with their names).
CREATE TABLE "contributions" (LIKE "contributions_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE ("id");
--> statement-breakpoint
CREATE TABLE "contributions_default" PARTITION OF "contributions" DEFAULT;
--> statement-breakpoint
-- 2. ledger_lines, the same way; its ID sequence is kept (lines keep their IDs, new ones continue).
ALTER SEQUENCE "ledger_lines_id_seq" OWNED BY NONE;
--> statement-breakpoint
ALTER TABLE "ledger_lines" RENAME TO "ledger_lines_unpartitioned";
--> statement-breakpoint
CREATE TABLE "ledger_lines" (LIKE "ledger_lines_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE ("entry_id");
--> statement-breakpoint
CREATE TABLE "ledger_lines_default" PARTITION OF "ledger_lines" DEFAULT;
--> statement-breakpoint
-- 3. A partition per month from the oldest UUIDv7 row (at most ten years back) to three months ahead.
SELECT count(*) FROM ensure_time_partitions(3, greatest(
  coalesce(least(
     (SELECT min(uuid_v7_time(id)) FROM contributions_unpartitioned WHERE uuid_v7_time(id) <= now()),
     (SELECT min(uuid_v7_time(entry_id)) FROM ledger_lines_unpartitioned WHERE uuid_v7_time(entry_id) <= now())), now()),
  now() - interval '10 years')::date);
--> statement-breakpoint
-- 4. The rows moved, each into its partition (no trigger is on the new tables yet).
INSERT INTO "contributions" SELECT * FROM "contributions_unpartitioned";
--> statement-breakpoint
INSERT INTO "ledger_lines" SELECT * FROM "ledger_lines_unpartitioned";
--> statement-breakpoint
DROP TABLE "contributions_unpartitioned";
--> statement-breakpoint
DROP TABLE "ledger_lines_unpartitioned";
--> statement-breakpoint
ALTER SEQUENCE "ledger_lines_id_seq" OWNED BY "ledger_lines"."id";
--> statement-breakpoint
-- 5. Keys, indexes and foreign keys under their old names. A unique index of a partitioned table must hold
-- the partition key: ledger_lines' primary key becomes (entry_id, id), which also serves the lookups by
-- entry that ledger_lines_entry_idx served; the unique payment ID and receipt number of contributions move
-- to tables of their own (6.).
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_pkey" PRIMARY KEY ("id");
--> statement-breakpoint
CREATE INDEX "contributions_campaign_idx" ON "contributions" USING btree ("campaign_id", "id");
--> statement-breakpoint
CREATE INDEX "contributions_contributor_idx" ON "contributions" USING btree ("contributor_id", "id");
--> statement-breakpoint
CREATE INDEX "contributions_pending_idx" ON "contributions" USING btree ("created_at") WHERE "contributions"."status" = 'pending';
--> statement-breakpoint
CREATE INDEX "contributions_provider_payment_idx" ON "contributions" USING btree ("provider_payment_id");
--> statement-breakpoint
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_contributor_id_users_id_fk" FOREIGN KEY ("contributor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_contribution_id_contributions_id_fk" FOREIGN KEY ("contribution_id") REFERENCES "public"."contributions"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_contribution_id_contributions_id_fk" FOREIGN KEY ("contribution_id") REFERENCES "public"."contributions"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "payment_discrepancies" ADD CONSTRAINT "payment_discrepancies_contribution_id_contributions_id_fk" FOREIGN KEY ("contribution_id") REFERENCES "public"."contributions"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "ledger_lines" ADD CONSTRAINT "ledger_lines_pkey" PRIMARY KEY ("entry_id", "id");
--> statement-breakpoint
-- Per account in line order (migration 0017): balances, and the lines after a checkpoint's mark.
CREATE INDEX "ledger_lines_account_line_idx" ON "ledger_lines" USING btree ("account_id","id");
--> statement-breakpoint
ALTER TABLE "ledger_lines" ADD CONSTRAINT "ledger_lines_entry_id_ledger_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."ledger_entries"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "ledger_lines" ADD CONSTRAINT "ledger_lines_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
-- 6. One contribution per provider payment ID and per receipt number, across partitions: a row per value in
-- a table whose primary key carries the unique constraint's old name, kept by a trigger on contributions.
CREATE TABLE "contribution_payment_ids" (
	"provider_payment_id" text NOT NULL,
	"contribution_id" uuid NOT NULL,
	CONSTRAINT "contributions_provider_payment_id_unique" PRIMARY KEY ("provider_payment_id")
);
--> statement-breakpoint
CREATE TABLE "contribution_receipt_numbers" (
	"receipt_number" bigint NOT NULL,
	"contribution_id" uuid NOT NULL,
	CONSTRAINT "contributions_receipt_number_unique" PRIMARY KEY ("receipt_number")
);
--> statement-breakpoint
INSERT INTO "contribution_payment_ids" SELECT "provider_payment_id", "id" FROM "contributions" WHERE "provider_payment_id" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "contribution_receipt_numbers" SELECT "receipt_number", "id" FROM "contributions" WHERE "receipt_number" IS NOT NULL;
--> statement-breakpoint
CREATE FUNCTION contributions_keep_unique_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.provider_payment_id IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.provider_payment_id IS DISTINCT FROM OLD.provider_payment_id) THEN
      DELETE FROM contribution_payment_ids WHERE provider_payment_id = OLD.provider_payment_id AND contribution_id = OLD.id;
    END IF;
    IF OLD.receipt_number IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.receipt_number IS DISTINCT FROM OLD.receipt_number) THEN
      DELETE FROM contribution_receipt_numbers WHERE receipt_number = OLD.receipt_number AND contribution_id = OLD.id;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.provider_payment_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.provider_payment_id IS DISTINCT FROM OLD.provider_payment_id) THEN
      INSERT INTO contribution_payment_ids VALUES (NEW.provider_payment_id, NEW.id);
    END IF;
    IF NEW.receipt_number IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.receipt_number IS DISTINCT FROM OLD.receipt_number) THEN
      INSERT INTO contribution_receipt_numbers VALUES (NEW.receipt_number, NEW.id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER contributions_unique_keys AFTER INSERT OR DELETE OR UPDATE OF provider_payment_id, receipt_number
  ON contributions FOR EACH ROW EXECUTE FUNCTION contributions_keep_unique_keys();
--> statement-breakpoint
-- 7. The ledger's triggers (0002, 0009, 0013), made on the partitioned table: PostgreSQL clones the row
-- triggers onto every partition, present and future; TRUNCATE's statement trigger stays on the parent.
CREATE CONSTRAINT TRIGGER ledger_lines_balanced
  AFTER INSERT ON ledger_lines
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
--> statement-breakpoint
CREATE TRIGGER ledger_lines_currency BEFORE INSERT ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_check_line_currency();
--> statement-breakpoint
CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_lines_entry_open BEFORE INSERT ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_check_line_entry_open();
--> statement-breakpoint
CREATE TRIGGER ledger_lines_provider BEFORE INSERT ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_check_line_provider();
--> statement-breakpoint
-- 8. The app role's rights as migration 0014 gave them: on the parents (what the app queries) and on the new
-- tables; none on the partitions (default privileges gave them some), so that a partition named directly
-- is no way around the parent's rights. TRUNCATE of a partition fires no trigger of the parent: the app
-- role has no TRUNCATE anywhere.
GRANT SELECT, INSERT, UPDATE, DELETE ON "contributions", "contribution_payment_ids", "contribution_receipt_numbers" TO crowdfund_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON "ledger_lines" TO crowdfund_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "ledger_lines" FROM crowdfund_app;
--> statement-breakpoint
REVOKE ALL ON "contributions_default", "ledger_lines_default" FROM crowdfund_app;
--> statement-breakpoint
ANALYZE "contributions";
--> statement-breakpoint
ANALYZE "ledger_lines";
