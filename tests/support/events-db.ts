/**
 * Helpers of the event-transport contract suite: a `test_effects` table that
 * records what test consumer groups applied (its unique (grp, event_id) makes a
 * second application of one event fail loudly), such groups, and a concurrent
 * outbox writer.
 */
import { sql } from "drizzle-orm";
import type postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll } from "vitest";
import { z } from "zod";
import { type Db, openDb } from "@/db/client";
import { outboxEvents } from "@/db/schema";
import type { ConsumerGroup } from "@/lib/events/consumers";
import { partitionOf } from "@/lib/events/partition";
import type { ConsumerRuntime } from "@/lib/events/runtime";
import { provisionDatabase, type TestDatabase } from "./env";
import { waitFor as poll, sleep } from "./wait";

export { sleep };

export async function createEffectsTable(pg: postgres.Sql) {
  await pg.unsafe(`
    create table if not exists test_effects (
      n bigserial primary key,              -- order of application
      grp text not null,
      event_id uuid not null,
      partition_key text not null,
      seq bigint not null,
      amount int not null,
      unique (grp, event_id)
    )`);
}

/**
 * A fresh database with `test_effects` for the enclosing describe block (made in beforeAll, dropped in
 * afterAll after stopping every runtime still tracked and running `cleanup`). Read `pg`/`db` inside tests.
 */
export function effectsDatabase(label: string, cleanup?: () => Promise<void>) {
  let tdb: TestDatabase | undefined;
  const h = {
    pg: undefined as unknown as postgres.Sql,
    db: undefined as unknown as Db,
    running: new Set<ConsumerRuntime>(),
    /** Remember a started runtime, so that afterAll stops it if a test did not. */
    track<R extends ConsumerRuntime>(r: R): R {
      h.running.add(r);
      return r;
    },
    async stop(r: ConsumerRuntime) {
      h.running.delete(r);
      await r.stop();
    },
    /** How many events of `grp` on keys starting with `keyPrefix` were applied. */
    async applied(grp: string, keyPrefix: string): Promise<number> {
      const [r] =
        await h.pg`select count(*)::int as n from test_effects where grp = ${grp} and partition_key like ${`${keyPrefix}%`}`;
      return r?.n as number;
    },
  };
  beforeAll(async () => {
    tdb = await provisionDatabase(label);
    ({ sql: h.pg, db: h.db } = openDb(tdb.url, 20));
    await createEffectsTable(h.pg);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...h.running].map((r) => r.stop().catch(() => {})));
    await h.pg?.end();
    await tdb?.drop();
    await cleanup?.();
  }, 60_000);
  return h;
}

/**
 * Append a contribution.succeeded event with any payload, unchecked: as an older or broken writer may
 * have stored it (appendEvent checks payloads against the catalogue; the consumers must not trust that).
 * Partitioned like appendEvent with the default 16 partitions. Returns the event ID.
 */
export async function appendTestEvent(tx: Db, key: string, payload: Record<string, unknown>): Promise<string> {
  const id = uuidv7();
  await tx.insert(outboxEvents).values({
    id,
    type: "contribution.succeeded",
    partitionKey: key,
    partition: partitionOf(key, 16),
    payload,
  });
  return id;
}

export type EffectsGroup = ConsumerGroup & { violations: string[] };

/** A group recording contribution.succeeded events into test_effects; no ON CONFLICT on purpose. */
export function effectsGroup(name: string, opts: { failOn?: ReadonlySet<string>; delayMs?: number } = {}): EffectsGroup {
  const violations: string[] = [];
  return {
    name,
    violations,
    types: ["contribution.succeeded"],
    parse: (e) => z.object({ amount: z.number().int() }).parse(e.payload),
    async apply(tx, events) {
      if (opts.delayMs) await sleep(opts.delayMs);
      for (const { event, data } of events) {
        if (opts.failOn?.has(event.id)) throw new Error(`handler refuses ${event.id}`);
        try {
          await tx.execute(sql`
            insert into test_effects (grp, event_id, partition_key, seq, amount)
            values (${name}, ${event.id}, ${event.partitionKey}, ${event.seq}, ${(data as { amount: number }).amount})`);
        } catch (err) {
          if (isUniqueViolation(err)) violations.push(event.id);
          throw err;
        }
      }
    },
  };
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23505") return true;
  }
  return false;
}

/**
 * Append contribution.succeeded events, `perKey` per key, from `writers` concurrent
 * writers each committing `txSize` events per transaction; keys interleave across
 * writers, so one key's events come from concurrent transactions. Returns the IDs in
 * creation order.
 */
export async function appendMany(db: Db, keys: string[], perKey: number, { writers = 5, txSize = 10 } = {}) {
  const all = Array.from({ length: keys.length * perKey }, (_, i) => ({ key: keys[i % keys.length] as string, amount: i + 1 }));
  const ids: string[][] = Array.from({ length: writers }, () => []);
  await Promise.all(
    ids.map(async (mine, w) => {
      const share = all.filter((_, i) => i % writers === w);
      for (let i = 0; i < share.length; i += txSize) {
        const chunk = share.slice(i, i + txSize);
        await db.transaction(async (tx) => {
          for (const e of chunk) {
            mine.push(await appendTestEvent(tx, e.key, { amount: e.amount }));
          }
        });
      }
    }),
  );
  return ids.flat();
}

/** Poll `fn` until `ok` holds; fails with the last value after `ms`. */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const v = await poll(fn, ok, ms, 50);
  if (!ok(v)) throw new Error(`timed out after ${ms} ms waiting for ${what}; last value: ${JSON.stringify(v)}`);
  return v;
}
