/**
 * The PostgreSQL transport's cursor, attacked where it broke (bench:events once counted a
 * viral campaign's contributions short and others twice): batches whose xids straddle a power
 * of ten, a transaction that takes its xid early and commits late, a consumer stalled past its
 * lease while another worker wants its partitions, two loops on one partition, and a cursor
 * asked to go back. Each case is set up in SQL (explicit xids, leases moved into the past),
 * not by waiting for a race. Every group records into test_effects, whose unique (grp, event_id)
 * turns a second application into a loud failure.
 */
import { v7 as uuidv7 } from "uuid";
import { describe, expect, it } from "vitest";
import { partitionOf } from "@/lib/events/partition";
import { type ConsumerRuntime, type RuntimeOptions, startPostgresConsumers } from "@/lib/events/runtime";
import { appendMany, effectsDatabase, effectsGroup, sleep, waitFor } from "../support/events-db";

const RUN = Date.now().toString(36);
const PARTITIONS = 16;

describe("event stream cursor (PostgreSQL transport)", () => {
  const h = effectsDatabase("cursor");
  const run = (groups: Parameters<typeof startPostgresConsumers>[1], o: Partial<RuntimeOptions> = {}) =>
    h.track(startPostgresConsumers(h.db, groups, { partitions: PARTITIONS, pollMs: 20, leaseMs: 1000, ...o }));
  const stop = (r: ConsumerRuntime) => h.stop(r);
  const appliedFor = (grp: string, keyPrefix: string) => h.applied(grp, keyPrefix);
  const applied = (grp: string) => h.applied(grp, "");

  /** Insert an event with an explicit writing-transaction ID (xid8), as if that transaction had written it. */
  async function eventAt(key: string, xid: number, amount: number) {
    await h.pg`insert into outbox_events (id, type, partition_key, partition, payload, xid)
             values (${uuidv7()}, 'contribution.succeeded', ${key}, ${partitionOf(key, PARTITIONS)}, ${JSON.stringify({ amount })}::jsonb, ${String(xid)}::xid8)`;
  }

  it("applies events whose xids straddle a power of ten exactly once, in numeric (xid, seq) order", async () => {
    const key = `${RUN}-decade`;
    // xids 95..106 written in shuffled seq order; batches of 5 put 99 | 100 inside and across batches.
    // Sorted as text ("100" < "95") the cursor jumped to 106 and 95..99 were never applied.
    const xids = [103, 96, 100, 99, 105, 95, 101, 98, 106, 97, 104, 102];
    for (const [i, x] of xids.entries()) await eventAt(key, x, i + 1);
    const g = effectsGroup(`t-decade-${RUN}`);
    const r = run([g], { batchSize: 5 });
    await waitFor(
      "12 applied",
      () => appliedFor(g.name, key),
      (n) => n >= 12,
    );
    await sleep(300); // room for a second application to show up
    await stop(r);
    expect(g.violations).toEqual([]);
    expect(await appliedFor(g.name, key)).toBe(12);
    const order = await h.pg`
      select o.xid::text as xid from test_effects t join outbox_events o on o.id = t.event_id
      where t.grp = ${g.name} and t.partition_key = ${key} order by t.n`;
    expect(order.map((o) => Number(o.xid))).toEqual([...xids].sort((a, b) => a - b));
    const [cur] =
      await h.pg`select last_xid::text as xid from consumer_cursors where "group" = ${g.name} and partition = ${partitionOf(key, PARTITIONS)}`;
    expect(BigInt(cur?.xid as string)).toBeGreaterThanOrEqual(106n);
  });

  it("waits for a transaction that took its xid first and commits last, then applies both once, in xid order", async () => {
    const key = `${RUN}-late`;
    const part = partitionOf(key, PARTITIONS);
    const g = effectsGroup(`t-late-${RUN}`);
    let releaseEarly!: () => void;
    const early = new Promise<void>((res) => {
      releaseEarly = res;
    });
    let earlyHasXid!: () => void;
    const hasXid = new Promise<void>((res) => {
      earlyHasXid = res;
    });
    // The early transaction takes its xid, writes its event, and stays open.
    const earlyTx = h.pg.begin(async (tx) => {
      await tx`insert into outbox_events (id, type, partition_key, partition, payload)
               values (${uuidv7()}, 'contribution.succeeded', ${key}, ${part}, ${JSON.stringify({ amount: 1 })}::jsonb)`;
      earlyHasXid();
      await early;
    });
    await hasXid;
    // A later transaction (higher xid, higher seq) commits first.
    await h.pg`insert into outbox_events (id, type, partition_key, partition, payload)
             values (${uuidv7()}, 'contribution.succeeded', ${key}, ${part}, ${JSON.stringify({ amount: 2 })}::jsonb)`;
    const r = run([g]);
    await sleep(500); // many polls: none may move past the open transaction
    expect(await appliedFor(g.name, key)).toBe(0);
    releaseEarly();
    await earlyTx;
    await waitFor(
      "2 applied",
      () => appliedFor(g.name, key),
      (n) => n >= 2,
    );
    await sleep(200);
    await stop(r);
    expect(g.violations).toEqual([]);
    const amounts = await h.pg`select amount from test_effects where grp = ${g.name} and partition_key = ${key} order by n`;
    expect(amounts.map((a) => a.amount)).toEqual([1, 2]);
  });

  it("a consumer stalled past its lease keeps its batch to itself; the other worker takes over after, nothing twice", async () => {
    const prefix = `${RUN}-stall-`;
    const keys = Array.from({ length: 8 }, (_, i) => `${prefix}k${i}`);
    const name = `t-stall-${RUN}`;
    let stalled = false;
    let resume!: () => void;
    const resumed = new Promise<void>((res) => {
      resume = res;
    });
    let inStall!: () => void;
    const stalling = new Promise<void>((res) => {
      inStall = res;
    });
    const slow = effectsGroup(name);
    const applyA = slow.apply.bind(slow);
    slow.apply = async (tx, events) => {
      if (!stalled) {
        stalled = true;
        inStall();
        await resumed; // the batch's transaction holds its lease row meanwhile
      }
      await applyA(tx, events);
    };
    const fast = effectsGroup(name);
    await appendMany(h.db, keys, 25, { writers: 4, txSize: 5 });
    const a = run([slow], { workerId: `${RUN}-stall-a`, leaseMs: 1000 });
    await stalling;
    // Every lease of A's expires now (moved into the past in SQL, not waited for); the one A's stalled
    // batch holds is row-locked and skipped, as B's takeover will skip it.
    await h.pg`update consumer_leases set expires_at = now() - interval '1 second'
             where ("group", partition) in (select "group", partition from consumer_leases
                                            where "group" = ${name} and owner = ${`${RUN}-stall-a`} for update skip locked)`;
    const b = run([fast], { workerId: `${RUN}-stall-b`, leaseMs: 1000 });
    await waitFor(
      "B holds A's expired partitions",
      () => b.held()[name] ?? [],
      (p) => p.length >= PARTITIONS - 1,
      5000,
    );
    expect(b.held()[name]).toHaveLength(PARTITIONS - 1); // not the one A is applying
    resume();
    await waitFor(
      "200 applied",
      () => appliedFor(name, prefix),
      (n) => n >= 200,
      15_000,
    );
    await sleep(500);
    await stop(a);
    await stop(b);
    expect([...slow.violations, ...fast.violations]).toEqual([]);
    expect(await appliedFor(name, prefix)).toBe(200);
  });

  it("two loops on one partition (one worker ID, started twice) never apply an event twice", async () => {
    const prefix = `${RUN}-twin-`;
    const keys = Array.from({ length: 4 }, (_, i) => `${prefix}k${i}`);
    const name = `t-twin-${RUN}`;
    const g = effectsGroup(name);
    const r1 = run([g], { workerId: `${RUN}-twin`, batchSize: 7 });
    const r2 = run([g], { workerId: `${RUN}-twin`, batchSize: 7 });
    await appendMany(h.db, keys, 75, { writers: 6, txSize: 3 });
    await waitFor(
      "300 applied",
      () => appliedFor(name, prefix),
      (n) => n >= 300,
      20_000,
    );
    await sleep(500);
    await stop(r1);
    await stop(r2);
    expect(g.violations).toEqual([]);
    expect(await appliedFor(name, prefix)).toBe(300);
    expect(await applied(name)).toBeGreaterThanOrEqual(300);
  });

  it("refuses to move a cursor backwards, or to stand still while claiming progress", async () => {
    const name = `t-back-${RUN}`;
    await h.pg`insert into consumer_cursors ("group", partition, last_xid, last_seq) values (${name}, 0, '500'::xid8, 9)`;
    await expect(
      h.pg`update consumer_cursors set last_xid = '499'::xid8, last_seq = 100 where "group" = ${name}`,
    ).rejects.toThrow(/may only move forward/);
    await expect(h.pg`update consumer_cursors set last_seq = 9 where "group" = ${name}`).rejects.toThrow(/may only move forward/);
    await h.pg`update consumer_cursors set last_xid = '500'::xid8, last_seq = 10 where "group" = ${name}`;
    await h.pg`update consumer_cursors set last_xid = '10000'::xid8, last_seq = 1 where "group" = ${name}`;
    await expect(h.pg`update consumer_cursors set last_xid = '9999'::xid8 where "group" = ${name}`).rejects.toThrow(
      /may only move forward/,
    );
    const [c] = await h.pg`select last_xid::text as xid, last_seq from consumer_cursors where "group" = ${name}`;
    expect([c?.xid, Number(c?.last_seq)]).toEqual(["10000", 1]);
  });

  it("a group that starts at 'now' (mail) skips the events written before its cursors existed and applies those after", async () => {
    const key = `${RUN}-late-group`;
    await appendMany(h.db, [key], 5);
    // "Written before" means below the xmin horizon, as the consumers read (a transaction still running anywhere
    // on the server holds it back): wait until these five are.
    await waitFor(
      "the five below the horizon",
      async () =>
        (
          await h.pg`select count(*)::int as n from outbox_events
                     where partition_key = ${key} and xid < pg_snapshot_xmin(pg_current_snapshot())`
        )[0]?.n as number,
      (n) => n === 5,
      30_000,
    );
    const g = { ...effectsGroup(`t-now-${RUN}`), startsAt: "now" as const };
    const r = run([g]);
    await waitFor(
      "cursors made",
      async () => (await h.pg`select 1 from consumer_cursors where "group" = ${g.name}`).length,
      (n) => n === PARTITIONS,
    );
    await appendMany(h.db, [key], 3);
    await waitFor(
      "3 applied",
      () => appliedFor(g.name, key),
      (n) => n >= 3,
    );
    await sleep(300); // room for an old event to show up
    await stop(r);
    expect(g.violations).toEqual([]);
    expect(await appliedFor(g.name, key)).toBe(3);
  });
});
