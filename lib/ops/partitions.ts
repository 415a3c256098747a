import { Cron } from "croner";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { isDatabaseUnavailable } from "@/lib/errors";

/**
 * Monthly partitions of `contributions` (by `id`) and `ledger_lines` (by `entry_id`), migration 0018 and
 * docs/partitioning.md. A month's partition holds the rows whose UUIDv7 key was made in that calendar
 * month (UTC); `<table>_default` holds the rest (v4 keys, and any month without a partition yet).
 */
export const PARTITIONED_TABLES = ["contributions", "ledger_lines"] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/**
 * The smallest UUID whose first 48 bits are the Unix time `ms`: every UUIDv7 made at or after `ms` is at least
 * this one (RFC 9562, section 5.7), as the SQL function `uuid_time_floor` of migration 0018 computes it. A condition
 * `id >= uuidTimeFloor(t)` lets PostgreSQL leave out the monthly partitions before t (partition pruning, also at
 * run time for a prepared statement's parameter). Throws RangeError for a time outside 0 … 2^48 − 1 ms.
 */
export function uuidTimeFloor(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new RangeError(`not a UUIDv7 time: ${ms}`);
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8)}-0000-0000-000000000000`;
}

/** How many months after this one `ensurePartitions` keeps ready by default: a quarter of slack. */
export const PARTITION_MONTHS_AHEAD = 3;
/** When the scheduler role checks them (UTC, daily), besides once at start-up. */
export const PARTITION_SCHEDULE = "17 3 * * *";

export interface PartitionStatus {
  table: PartitionedTable;
  /** e.g. `contributions_p2026_12`. */
  partition: string;
  /** First day of the month, YYYY-MM-DD. */
  month: string;
  /**
   * `exists`; `created` now; `blocked`: the DEFAULT partition holds rows of that month, so it cannot be
   * attached (they stay in DEFAULT, docs/partitioning.md says what to do); `busy`: a lock was not granted
   * within 5 s (the next call tries again).
   */
  status: "exists" | "created" | "blocked" | "busy";
}

/**
 * Make sure both tables have a partition for this month and each of the next `monthsAhead` (0 to 36)
 * months: the SQL function `ensure_time_partitions` (migration 0018, SECURITY DEFINER, so the app role may
 * call it). Idempotent and safe when processes race (an advisory lock serializes them). Throws the
 * database's error for a bad `monthsAhead` (invalid_parameter_value) or when the database is unavailable.
 */
export async function ensurePartitions(db: Db, monthsAhead = PARTITION_MONTHS_AHEAD): Promise<PartitionStatus[]> {
  const rows = await db.execute<{
    parent: PartitionedTable;
    partition: string;
    month: string;
    status: PartitionStatus["status"];
  }>(sql`select parent, partition, month::text as month, status from ensure_time_partitions(${monthsAhead}::int)`);
  return rows.map((r) => ({ table: r.parent, partition: r.partition, month: r.month, status: r.status }));
}

/**
 * `ensurePartitions` for the months ahead, logged: the partitions it made (info), a blocked month (error
 * PARTITION_BLOCKED: someone must look, docs/partitioning.md), a busy one (warning). Never throws: a
 * failure is logged (a warning when the database is unavailable) and the next call tries again.
 */
export async function keepPartitionsAhead(db: Db, log: Pick<Logger, "info" | "warn" | "error">): Promise<void> {
  try {
    const done = await ensurePartitions(db);
    const created = done.filter((p) => p.status === "created").map((p) => p.partition);
    const blocked = done.filter((p) => p.status === "blocked").map((p) => p.partition);
    const busy = done.filter((p) => p.status === "busy").map((p) => p.partition);
    if (created.length > 0) log.info({ created }, "partitions: made the coming months' partitions");
    if (blocked.length > 0)
      log.error(
        { code: "PARTITION_BLOCKED", blocked },
        "partitions: the default partition holds rows of these months, which therefore stay in it (docs/partitioning.md)",
      );
    if (busy.length > 0) log.warn({ busy }, "partitions: a lock was not granted in time; tried again at the next run");
  } catch (err) {
    if (isDatabaseUnavailable(err)) log.warn("partitions: not checked (database unavailable)");
    else log.error({ err }, "partitions: check failed");
  }
}

/**
 * The scheduler role's partition job: `keepPartitionsAhead` once at start-up and daily at PARTITION_SCHEDULE
 * (UTC). Safe in any number of processes. Returns the stop function. (Without a scheduler process, as on
 * Vercel, the daily payout cron calls `keepPartitionsAhead` instead: app/api/cron/payouts.)
 */
export function startPartitionJob(db: Db, log: Pick<Logger, "info" | "warn" | "error">): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = keepPartitionsAhead(db, log);
    return running;
  };
  const job = new Cron(PARTITION_SCHEDULE, { timezone: "UTC", protect: true }, run);
  void run();
  return async () => {
    job.stop();
    await running;
  };
}

/** Why a partition may not be detached (`PartitionError.code`), as `partitions detach` prints it. */
export type PartitionRefusal =
  /** --table or --month is not one of ours. */
  | "PARTITION_INVALID"
  /** No attached partition of that table for that month. */
  | "PARTITION_NOT_FOUND"
  /** Its month ended less than `minAgeDays` ago (the current and future months always). */
  | "PARTITION_TOO_RECENT"
  /** contributions: refunds, disputes or payment discrepancies point at contributions in it. */
  | "PARTITION_REFERENCED"
  /** contributions: some of its contributions are still pending. */
  | "PARTITION_HAS_PENDING"
  /** ledger_lines: its lines do not sum to zero on every account, so detaching them would change balances. */
  | "PARTITION_CHANGES_BALANCES"
  /** A lock was not granted within the lock timeout (traffic on the table): try again later. */
  | "PARTITION_BUSY";

export class PartitionError extends Error {
  constructor(
    readonly code: PartitionRefusal,
    message: string,
  ) {
    super(message);
    this.name = "PartitionError";
  }
}

/** Minimum age of a detached month (from its end), in days, unless the operator says otherwise. */
export const DETACH_MIN_AGE_DAYS = 400;

/**
 * Detach the partition of `table` for `month` (YYYY-MM) from its parent (`ALTER TABLE … DETACH PARTITION`,
 * not CONCURRENTLY: PostgreSQL refuses that on a table with a DEFAULT partition, so the parent is locked
 * ACCESS EXCLUSIVE for the moment it takes, at most 5 s of waiting). The rows stay in the detached table,
 * under the same name, for the operator to archive (pg_dump) and drop; the app no longer sees them.
 * Needs the tables' owner (`ownerDb`: DATABASE_URL's login, not the app role).
 *
 * Throws PartitionError with a refusal code (PartitionRefusal): the checks run in the detach's transaction,
 * with the partition locked against writes, and the database's own refusals (a foreign key that still
 * points in: 23503; a lock timeout: 55P03) are mapped to the same codes. Returns the rows detached.
 * A ledger partition is detachable only when its lines sum to zero on every account: balances are sums of
 * all lines and nothing carries them forward yet (docs/partitioning.md, "Detaching").
 */
export async function detachPartition(
  ownerDb: Db,
  p: { table: string; month: string; minAgeDays?: number; now?: Date },
): Promise<{ partition: string; rows: number }> {
  if (!(PARTITIONED_TABLES as readonly string[]).includes(p.table))
    throw new PartitionError("PARTITION_INVALID", `--table must be one of ${PARTITIONED_TABLES.join(", ")}`);
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(p.month);
  if (!m) throw new PartitionError("PARTITION_INVALID", "--month must be YYYY-MM");
  const minAgeDays = p.minAgeDays ?? DETACH_MIN_AGE_DAYS;
  if (!Number.isInteger(minAgeDays) || minAgeDays < 0)
    throw new PartitionError("PARTITION_INVALID", "--min-age-days must be a whole number of days, 0 or more");
  const table = p.table as PartitionedTable;
  const partition = `${table}_p${m[1]}_${m[2]}`;
  const monthEnd = Date.UTC(Number(m[1]), Number(m[2]), 1); // the first instant of the next month
  const now = (p.now ?? new Date()).getTime();
  if (monthEnd > now - minAgeDays * 86_400_000)
    throw new PartitionError(
      "PARTITION_TOO_RECENT",
      `${partition} ended ${monthEnd > now ? "not yet" : `${Math.floor((now - monthEnd) / 86_400_000)} days ago`}: only months ended at least ${minAgeDays} days ago are detached`,
    );
  try {
    return await ownerDb.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '5s'`);
      const [attached] = await tx.execute<{ yes: boolean }>(sql`
        select exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
                       where i.inhparent = ${`public.${table}`}::regclass and c.relname = ${partition}) as yes`);
      if (!attached?.yes) throw new PartitionError("PARTITION_NOT_FOUND", `${partition} is not a partition of ${table}`);
      // No writes to it while it is checked; the parent's own lock comes with the detach.
      await tx.execute(sql.raw(`lock table "${partition}" in share mode`));
      const part = sql.raw(`"${partition}"`);
      if (table === "contributions") {
        const [r] = await tx.execute<{ referenced: boolean; pending: boolean }>(sql`
          select exists (select 1 from refunds x join ${part} c on c.id = x.contribution_id)
              or exists (select 1 from disputes x join ${part} c on c.id = x.contribution_id)
              or exists (select 1 from payment_discrepancies x join ${part} c on c.id = x.contribution_id) as referenced,
                 exists (select 1 from ${part} where status = 'pending') as pending`);
        if (r?.referenced)
          throw new PartitionError(
            "PARTITION_REFERENCED",
            `refunds, disputes or discrepancies point at contributions of ${partition}`,
          );
        if (r?.pending) throw new PartitionError("PARTITION_HAS_PENDING", `${partition} holds contributions still pending`);
      } else {
        const [r] = await tx.execute<{ accounts: string }>(sql`
          select count(*) as accounts from (select account_id from ${part} group by account_id having sum(amount) <> 0) s`);
        if (Number(r?.accounts ?? 0) > 0)
          throw new PartitionError(
            "PARTITION_CHANGES_BALANCES",
            `the lines of ${partition} move the balances of ${r?.accounts} accounts: detaching them would change those balances (docs/partitioning.md, "Detaching")`,
          );
      }
      const [count] = await tx.execute<{ n: string }>(sql`select count(*) as n from ${part}`);
      await tx.execute(sql.raw(`alter table "${table}" detach partition "${partition}"`));
      return { partition, rows: Number(count?.n ?? 0) };
    });
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (code === "23503")
      throw new PartitionError("PARTITION_REFERENCED", `rows elsewhere still point at ${partition}: ${(err as Error).message}`);
    if (code === "55P03")
      throw new PartitionError("PARTITION_BUSY", `${partition}: a lock was not granted within 5 s; try again`);
    throw err;
  }
}
