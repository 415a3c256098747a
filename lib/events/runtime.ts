import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consumerLeases, consumerWorkers } from "@/db/schema";
import { pauser } from "@/lib/app/pauser";
import { isDatabaseUnavailable } from "@/lib/errors";
import { ensureCursors, parkNext, partitionsWithEvents, processBatch } from "./batch";
import type { ConsumerGroup } from "./consumers";
import { metrics } from "./metrics";

/**
 * The PostgreSQL transport of the event stream: consumer groups read the
 * transactional outbox, each with a durable cursor per partition. Partitions are
 * shared between worker processes by leases (renewed while alive, taken over
 * when they expire, so a dead worker's partitions move within `leaseMs`), and
 * each batch is applied in the transaction that advances the cursor while
 * holding the lease row — exactly-once effect, one campaign's events in order.
 */
export interface RuntimeOptions {
  partitions: number;
  workerId?: string;
  leaseMs?: number;
  pollMs?: number;
  batchSize?: number;
  /** Failed attempts of one event (retried alone, with back-off) before it is parked. */
  maxAttempts?: number;
  log?: (level: "info" | "warn" | "error", msg: string, extra?: object) => void;
}

export interface ConsumerRuntime {
  workerId: string;
  stop(): Promise<void>;
  /** Partitions this worker holds, per group (for tests and health). */
  held(): Record<string, number[]>;
}

export function startPostgresConsumers(db: Db, groups: ConsumerGroup[], opts: RuntimeOptions): ConsumerRuntime {
  const workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const leaseMs = opts.leaseMs ?? 3000;
  const pollMs = opts.pollMs ?? 100;
  const batchSize = opts.batchSize ?? 500;
  const maxAttempts = opts.maxAttempts ?? 5;
  const log = opts.log ?? (() => {});
  const m = metrics();
  const held = new Map<string, number[]>(groups.map((gr) => [gr.name, []]));
  const attempts = new Map<string, number>();
  const single = new Set<string>(); // partitions in one-event-at-a-time mode after a failed batch
  const retryAt = new Map<string, number>(); // back-off of a failing partition
  let stopped = false;
  let lastLeaseWork = 0;
  const fence = { lease: workerId };

  const init = () => ensureCursors(db, groups, opts.partitions);

  async function maintainLeases() {
    await db
      .insert(consumerWorkers)
      .values({ id: workerId })
      .onConflictDoUpdate({ target: consumerWorkers.id, set: { heartbeatAt: sql`now()` } });
    const [{ alive } = { alive: 1 }] = await db.execute<{ alive: number }>(sql`
      select count(*)::int as alive from consumer_workers where heartbeat_at > now() - make_interval(secs => ${leaseMs / 1000})`);
    const share = Math.ceil(opts.partitions / Math.max(1, alive));
    const until = sql`now() + make_interval(secs => ${leaseMs / 1000})`;
    for (const gr of groups) {
      const mine = await db
        .update(consumerLeases)
        .set({ expiresAt: until })
        .where(
          and(eq(consumerLeases.group, gr.name), eq(consumerLeases.owner, workerId), sql`${consumerLeases.expiresAt} > now()`),
        )
        .returning({ partition: consumerLeases.partition });
      let parts = mine.map((r) => r.partition).sort((a, b) => a - b);
      if (parts.length > share) {
        const extra = parts.slice(share);
        await db.execute(sql`
          update consumer_leases set owner = null, expires_at = now()
          where "group" = ${gr.name} and owner = ${workerId} and partition in ${sql.raw(`(${extra.join(",")})`)}`);
        parts = parts.slice(0, share);
      } else if (parts.length < share) {
        const got = await db.execute<{ partition: number }>(sql`
          update consumer_leases set owner = ${workerId}, expires_at = ${until}
          where ("group", partition) in (
            select "group", partition from consumer_leases
            where "group" = ${gr.name} and (owner is null or expires_at <= now())
            order by partition limit ${share - parts.length} for update skip locked)
          returning partition`);
        parts = [...parts, ...got.map((r) => r.partition)].sort((a, b) => a - b);
      }
      held.set(gr.name, parts);
    }
  }

  /** A batch failed: retry event by event; an event that keeps failing is parked and its partition moves on. */
  async function onFailure(gr: ConsumerGroup, p: number, err: unknown) {
    const key = `${gr.name}:${p}`;
    m.failures.inc({ group: gr.name, transport: "postgres" });
    if (!single.has(key)) {
      single.add(key);
      return;
    }
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    log("warn", "event failed", { group: gr.name, partition: p, attempt: n, error: String(err) });
    if (n < maxAttempts) {
      // back off, so that a database blip of a few seconds does not use up the attempts
      retryAt.set(key, Date.now() + Math.min(5000, 250 * 2 ** (n - 1)));
      return;
    }
    attempts.delete(key);
    retryAt.delete(key);
    const error = `failed ${maxAttempts} times: ${err instanceof Error ? err.message : String(err)}`;
    if (!(await parkNext(db, gr, p, fence, error, log))) return;
    m.parked.inc({ group: gr.name, transport: "postgres" });
  }

  /** Renew leases (and heartbeat) every leaseMs/3, also in the middle of a long drain, so they never lapse while we work. */
  async function keepLeases() {
    if (Date.now() - lastLeaseWork > leaseMs / 3) {
      await maintainLeases();
      lastLeaseWork = Date.now();
    }
  }

  async function tick() {
    await keepLeases();
    // One statement finds the held partitions with work; the rest cost nothing this poll.
    const busy = await partitionsWithEvents(db, Object.fromEntries(held));
    for (const gr of groups) {
      for (const p of held.get(gr.name) ?? []) {
        if (stopped) return;
        if (!busy.has(`${gr.name}:${p}`)) continue;
        if ((retryAt.get(`${gr.name}:${p}`) ?? 0) > Date.now()) continue;
        try {
          for (let n = batchSize; n >= batchSize && !stopped; ) {
            await keepLeases();
            if (!(held.get(gr.name) ?? []).includes(p)) break; // handed over meanwhile
            n = await processBatch(db, gr, p, single.has(`${gr.name}:${p}`) ? 1 : batchSize, fence, log);
            if (n > 0 && single.has(`${gr.name}:${p}`)) {
              single.delete(`${gr.name}:${p}`);
              attempts.delete(`${gr.name}:${p}`);
              n = batchSize; // keep draining in full batches
            }
          }
        } catch (err) {
          // The database down is no fault of the event: the whole tick waits for it (the loop backs off),
          // without using up the event's attempts or parking it.
          if (isDatabaseUnavailable(err)) throw err;
          await onFailure(gr, p, err).catch((e) => log("error", "parking failed", { error: String(e) }));
        }
      }
    }
  }

  const { pause, wake } = pauser(); // stop() cuts a back-off short

  let loop: Promise<void> = (async () => {
    // The database may not be up yet: keep trying rather than give up for good.
    for (let delay = 250; !stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        await init();
        break;
      } catch (err) {
        log("warn", "consumer init failed; retrying", { error: String(err) });
        await pause(delay);
      }
    }
    // While the database is unavailable: one warning per try, backing off to 5 s; the pool reconnects by itself.
    let outage = 0;
    while (!stopped) {
      try {
        await tick();
        if (outage > 0) log("info", "database back; consumers resumed", { tries: outage });
        outage = 0;
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          outage++;
          log("warn", "database unavailable; consumers retrying", { try: outage, error: String(err) });
          await pause(Math.min(5000, 250 * 2 ** (outage - 1)));
          continue;
        }
        log("error", "consumer tick failed", { error: String(err) });
      }
      await pause(pollMs);
    }
  })();
  loop = loop.catch((err) => log("error", "consumer runtime failed", { error: String(err) }));

  return {
    workerId,
    held: () => Object.fromEntries(held),
    async stop() {
      stopped = true;
      wake();
      await loop;
      // hand the partitions over at once instead of waiting for the leases to expire
      await db
        .execute(sql`update consumer_leases set owner = null, expires_at = now() where owner = ${workerId}`)
        .catch(() => {});
      await db
        .delete(consumerWorkers)
        .where(eq(consumerWorkers.id, workerId))
        .catch(() => {});
    },
  };
}
