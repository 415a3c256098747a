import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consumerCursors } from "@/db/schema";
import type { Applied, ConsumerGroup, StreamEvent } from "./consumers";
import { recordBatch } from "./metrics";
import { parkEvent } from "./park";
import { assertAscending } from "./position";

/**
 * One batch of one (group, partition) of the PostgreSQL transport, shared by the long-running
 * consumers (runtime.ts) and the bounded drain of the cron route and `after()` (drain.ts): read the
 * events after the cursor below the xmin horizon, apply them and move the cursor, in one transaction.
 */
export type Log = (level: "info" | "warn" | "error", msg: string, extra?: object) => void;

/** Who may move the cursor: the holder of the partition's lease, or whoever locks the cursor row first (skipping a busy one). */
export type Fence = { lease: string } | { skipLocked: true };

type Row = { seq: string; id: string; type: string; partition_key: string; payload: unknown; created_at: Date; xid: string };

/**
 * Inside `tx`: take the fence (the lease row, or the cursor row with SKIP LOCKED), lock the cursor, and
 * read up to `limit` events after it, below the xmin horizon, in ascending (xid, seq) order.
 * Undefined when the fence is not ours (lease lost, or the partition is busy elsewhere).
 */
async function nextEvents(tx: Db, gr: ConsumerGroup, p: number, limit: number, fence: Fence): Promise<Row[] | undefined> {
  if ("lease" in fence) {
    const lease = await tx.execute(sql`
      select 1 from consumer_leases where "group" = ${gr.name} and partition = ${p}
        and owner = ${fence.lease} and expires_at > now() for update`);
    if (lease.length === 0) return undefined;
  }
  const cursor = tx
    .select({ xid: consumerCursors.lastXid, seq: consumerCursors.lastSeq })
    .from(consumerCursors)
    .where(and(eq(consumerCursors.group, gr.name), eq(consumerCursors.partition, p)));
  const [cur] = "lease" in fence ? await cursor.for("update") : await cursor.for("update", { skipLocked: true });
  if (!cur) return undefined;
  // The ORDER BY names the table's columns (o.xid), never the output alias: `order by xid` would
  // sort by the text alias below ('10000' < '9999'), so a batch straddling a power of ten in xid
  // would move the cursor backwards (events applied twice) or jump it over events (never applied),
  // and the sort would run over every pending row before the LIMIT instead of following the index.
  const rows = await tx.execute<Row>(sql`
    select o.seq, o.id, o.type, o.partition_key, o.payload, o.created_at, o.xid::text as xid from outbox_events o
    where o.partition = ${p} and (o.xid, o.seq) > (${cur.xid}::xid8, ${cur.seq})
      and o.xid < pg_snapshot_xmin(pg_current_snapshot())
    order by o.xid, o.seq limit ${limit}`);
  assertAscending(`${gr.name}:${p}`, { xid: cur.xid, seq: String(cur.seq) }, rows);
  return rows;
}

async function advanceCursor(tx: Db, gr: ConsumerGroup, p: number, last: Row) {
  await tx
    .update(consumerCursors)
    .set({ lastXid: last.xid, lastSeq: Number(last.seq), updatedAt: sql`now()` })
    .where(and(eq(consumerCursors.group, gr.name), eq(consumerCursors.partition, p)));
}

const toEvent = (r: Row): StreamEvent => ({
  seq: Number(r.seq),
  id: r.id,
  type: r.type,
  partitionKey: r.partition_key,
  payload: r.payload,
  createdAt: new Date(r.created_at),
});

/**
 * Apply one batch of up to `limit` events of (group, partition) and move its cursor, in one transaction;
 * then run the group's afterCommit hook (its failure is logged, not thrown). Events of other types only
 * move the cursor; an event whose payload does not parse is parked. Returns how many events the cursor
 * moved past (0: nothing to do, or the fence is not ours). Throws when the group's apply fails.
 */
export async function processBatch(db: Db, gr: ConsumerGroup, p: number, limit: number, fence: Fence, log: Log): Promise<number> {
  let committed: Applied = [];
  const n = await db.transaction(async (tx) => {
    const rows = await nextEvents(tx, gr, p, limit, fence);
    if (!rows || rows.length === 0) return 0;
    const batch: Applied = [];
    let parkedNow = 0;
    for (const r of rows) {
      if (!gr.types.includes(r.type)) continue;
      const event = toEvent(r);
      try {
        batch.push({ event, data: gr.parse(event) });
      } catch (err) {
        await parkEvent(tx, gr.name, event, `invalid payload: ${err instanceof Error ? err.message : String(err)}`, log);
        parkedNow++;
      }
    }
    if (batch.length > 0) await gr.apply(tx, batch);
    await advanceCursor(tx, gr, p, rows.at(-1) as Row);
    recordBatch("postgres", gr.name, batch, parkedNow);
    committed = batch;
    return rows.length;
  });
  if (committed.length > 0 && gr.afterCommit) {
    await gr
      .afterCommit(committed)
      .catch((err) => log("warn", "after-commit hook failed", { group: gr.name, error: String(err) }));
  }
  return n;
}

/** Park the next event of (group, partition) after it failed `error`, and move past it (lease holder only). */
export async function parkNext(db: Db, gr: ConsumerGroup, p: number, fence: Fence, error: string, log: Log): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [r] = (await nextEvents(tx, gr, p, 1, fence)) ?? []; // none: the partition moved, its new owner decides
    if (!r) return false;
    await parkEvent(tx, gr.name, toEvent(r), error, log);
    await advanceCursor(tx, gr, p, r);
    return true;
  });
}

/**
 * Which of the given (group, partition) pairs have events waiting after their cursor, below the xmin horizon:
 * one read-only statement (an index probe per pair on outbox_events (partition, xid, seq)), so an idle poll
 * costs one round trip instead of a locking transaction per pair. A pair it names may still turn out empty
 * or taken when processBatch locks it; one it leaves out is looked at again on the next poll.
 */
export async function partitionsWithEvents(db: Db, wanted: Record<string, readonly number[]>): Promise<Set<string>> {
  const groups = Object.keys(wanted).filter((g) => (wanted[g]?.length ?? 0) > 0);
  if (groups.length === 0) return new Set();
  const rows = await db.execute<{ group: string; partition: number }>(sql`
    select c."group", c.partition from consumer_cursors c
    where c."group" in ${groups}
      and exists (
        select 1 from outbox_events o
        where o.partition = c.partition and (o.xid, o.seq) > (c.last_xid, c.last_seq)
          and o.xid < pg_snapshot_xmin(pg_current_snapshot()))`);
  return new Set(rows.filter((r) => wanted[r.group]?.includes(r.partition)).map((r) => `${r.group}:${r.partition}`));
}

/** Make the cursor and lease rows of `groups` × `partitions` exist (idempotent). */
export async function ensureCursors(db: Db, groups: readonly ConsumerGroup[], partitions: number): Promise<void> {
  for (const gr of groups) {
    if (gr.startsAt === "now") {
      // A group added to a running deployment (mail) starts after the events already applied elsewhere:
      // each new cursor sits on its partition's last event below the xmin horizon (docs/events.md).
      await db.execute(sql`
        insert into consumer_cursors ("group", partition, last_xid, last_seq)
        select ${gr.name}, p, coalesce(e.xid, '0'::xid8), coalesce(e.seq, 0)
        from generate_series(0, ${partitions - 1}) p
        left join lateral (
          select o.xid, o.seq from outbox_events o
          where o.partition = p and o.xid < pg_snapshot_xmin(pg_current_snapshot())
          order by o.xid desc, o.seq desc limit 1) e on true
        on conflict do nothing`);
    } else {
      await db.execute(sql`
        insert into consumer_cursors ("group", partition)
        select ${gr.name}, p from generate_series(0, ${partitions - 1}) p on conflict do nothing`);
    }
    await db.execute(sql`
      insert into consumer_leases ("group", partition)
      select ${gr.name}, p from generate_series(0, ${partitions - 1}) p on conflict do nothing`);
  }
}
