import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

/**
 * Balance checkpoints, so that the daily flush adds up what changed since the last one instead of every
 * campaign's whole history (docs/payouts.md, "Checkpoints").
 *
 * A *mark* (ledger_marks) is a point in the ledger's line sequence: `uptoLine`, the sequence's value when it
 * was taken, and `xid_bound`, the transaction ID of the statement that records it, taken right after: every
 * ID handed out before is smaller. (Not the snapshot's `xmax`: that is one past the newest *finished*
 * transaction, and a running one may hold an ID above it.) Migration 0017 makes the database hold what this
 * needs: the line sequence hands IDs out one at a time (CACHE 1), and the lines' ID default takes a
 * transaction ID before it draws a line ID (an `id` given explicitly bypasses that; nothing in the app does).
 * So every line at or below `uptoLine` belongs to a transaction below `xid_bound`. Once
 * the oldest running transaction is at or above `xid_bound` (PostgreSQL's `pg_snapshot_xmin`, which any role may
 * read, unlike other sessions' rows of pg_stat_activity), the mark is *settled*: no line at or below it can
 * still commit. A settled mark's sums never change, so a run can add them up once and store them.
 *
 * A *checkpoint* (ledger_checkpoints) is a campaign account's balance at a mark, per provider, minor units,
 * debit positive; only non-zero ones are stored. A mark is *complete* once a payout run has written the
 * checkpoint of every campaign account at it, so a missing row then means zero.
 *
 * A run for a day whose contributions count when settled before `availableBefore` may start from a complete
 * mark taken at or before `availableBefore`: the mark's contribution lines all belong to transactions that
 * began before it was taken (a contribution entry is stamped with its transaction's start), so each was
 * settled before `availableBefore` and is due. Lines after the mark are filtered as before.
 */
export interface Mark {
  id: number;
  uptoLine: number;
  takenAt: Date;
}

/** What a run of the flush starts from and what it writes (see `planCheckpoints`). */
export interface CheckpointPlan {
  /** The complete mark whose checkpoints the run adds the later lines to; null: no usable one, read all lines. */
  base: Mark | null;
  /** The settled mark at which the run writes each account's checkpoint; null when there is none newer than `base`. */
  target: Mark | null;
}

interface MarkRow extends Record<string, unknown> {
  id: string;
  upto_line: string;
  taken_at: Date | string;
}

const toMark = (r: MarkRow | undefined): Mark | null =>
  r ? { id: Number(r.id), uptoLine: Number(r.upto_line), takenAt: new Date(r.taken_at) } : null;

/**
 * Take a mark now (one per run of the flush, used by later runs) through `take_ledger_mark()` (migration 0017,
 * run as the owner, so the app's role cannot record a mark of its own making): the line sequence's value first,
 * then the recording statement's own transaction ID as the bound. Call it outside a transaction: the function
 * refuses to run in one that already holds an ID. Returns the mark's ID.
 */
export async function takeMark(db: Db): Promise<number> {
  const [row] = await db.execute<{ id: string }>(sql`select take_ledger_mark() as id`);
  if (!row) throw new Error("ledger mark not taken");
  return Number(row.id);
}

/**
 * Which marks a run may use, for contributions settled before `availableBefore`: `base`, the newest complete
 * mark taken at or before it, and `target`, the newest settled mark taken at or before it that is newer than
 * `base` (the run writes its checkpoints). Both null on a first run or when `availableBefore` lies before
 * every mark (a run for an old day): the run then reads every line, as before checkpoints existed.
 */
export async function planCheckpoints(db: Db, availableBefore: Date): Promise<CheckpointPlan> {
  const at = availableBefore.toISOString();
  const [base] = await db.execute<MarkRow>(sql`
    select id, upto_line, taken_at from ledger_marks
    where complete_at is not null and taken_at <= ${at}::timestamptz
    order by id desc limit 1`);
  const [target] = await db.execute<MarkRow>(sql`
    select id, upto_line, taken_at from ledger_marks
    where complete_at is null and taken_at <= ${at}::timestamptz and id > ${base?.id ?? 0}
      and xid_bound <= pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    order by id desc limit 1`);
  return { base: toMark(base), target: toMark(target) };
}

/**
 * Record that every campaign account's checkpoint at `target` is written, and drop what no run can use any
 * more: marks (and their checkpoints) older than `base`, the newest complete one before it. Call it once the
 * run's make phase has visited every campaign account.
 */
export async function completeCheckpoints(db: Db, plan: CheckpointPlan): Promise<void> {
  if (!plan.target) return;
  const target = plan.target.id;
  await db.transaction(async (tx) => {
    await tx.execute(sql`update ledger_marks set complete_at = now() where id = ${target} and complete_at is null`);
    if (plan.base) await tx.execute(sql`delete from ledger_marks where id < ${plan.base.id}`);
  });
}
