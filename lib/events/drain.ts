import type { Db } from "@/db/client";
import { ensureCursors, type Log, processBatch } from "./batch";
import type { ConsumerGroup } from "./consumers";

export interface DrainSummary {
  /** Events the cursors moved past, over every group and partition. */
  events: number;
  /** (group, partition) pairs whose batch failed; they are retried by the next drain or worker. */
  failed: number;
  /** True when every partition visited was caught up before the budget ran out. */
  caughtUp: boolean;
  ms: number;
}

// Per database handle, the (groups, partitions) whose cursor rows this process has made sure of: a drain
// runs after every settled payment, and the rows exist for good once made.
const ensured = new WeakMap<Db, Set<string>>();

async function cursorsOnce(db: Db, groups: readonly ConsumerGroup[], partitions: number): Promise<void> {
  const key = `${groups.map((g) => g.name).join(",")}|${partitions}`;
  const done = ensured.get(db) ?? new Set<string>();
  if (done.has(key)) return;
  await ensureCursors(db, groups, partitions);
  done.add(key);
  ensured.set(db, done);
}

/**
 * Apply pending outbox events within a time budget, without a long-running process: for the cron route
 * (`GET /api/cron/events`, where nothing may run in the background) and `after()` a payment settles.
 * Each batch takes its partition's cursor row with SKIP LOCKED instead of a lease, so it never waits
 * for (nor doubles) a running worker or another drain (a partition busy elsewhere is skipped: its
 * consumer is applying it): exactly-once comes from the cursor moving in the
 * transaction of the effect, forward only. A failing batch is logged and left for the next attempt
 * (parking after repeated failures is the long-running consumers' job).
 *
 * @param opts.partitions  EVENT_PARTITIONS; `only` limits the drain to some of them (e.g. one campaign's).
 * @param opts.budgetMs    stop starting batches after this many milliseconds.
 */
export async function drainEvents(
  db: Db,
  groups: readonly ConsumerGroup[],
  opts: { partitions: number; only?: readonly number[]; budgetMs: number; batchSize?: number; log?: Log },
): Promise<DrainSummary> {
  const start = Date.now();
  const log = opts.log ?? (() => {});
  const batchSize = opts.batchSize ?? 500;
  const parts = opts.only ?? Array.from({ length: opts.partitions }, (_, i) => i);
  await cursorsOnce(db, groups, opts.partitions);
  const summary: DrainSummary = { events: 0, failed: 0, caughtUp: true, ms: 0 };
  for (const gr of groups) {
    for (const p of parts) {
      for (;;) {
        if (Date.now() - start > opts.budgetMs) {
          summary.caughtUp = false;
          summary.ms = Date.now() - start;
          return summary;
        }
        let n: number;
        try {
          n = await processBatch(db, gr, p, batchSize, { skipLocked: true }, log);
        } catch (err) {
          log("warn", "drain: batch failed; left for the next attempt", { group: gr.name, partition: p, error: String(err) });
          summary.failed++;
          break;
        }
        summary.events += n;
        if (n < batchSize) break;
      }
    }
  }
  summary.ms = Date.now() - start;
  return summary;
}
