/**
 * One contract for both event transports (lib/events/runtime.ts: PostgreSQL
 * cursors; lib/events/nats.ts: outbox relay + JetStream): every event applied
 * exactly once, one key's events in outbox order, poison and failing events
 * parked without blocking the rest, restarts and several workers.
 * Needs PostgreSQL (DATABASE_URL or the embedded one) and a NATS server with
 * JetStream at NATS_URL (`npm test` defaults it to nats://127.0.0.1:4222); without
 * one the NATS transport's tests fail.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { config } from "@/lib/config";
import type { ConsumerGroup } from "@/lib/events/consumers";
import { startNatsConsumers } from "@/lib/events/nats";
import { type ConsumerRuntime, startPostgresConsumers } from "@/lib/events/runtime";
import { appendMany, appendTestEvent, effectsDatabase, effectsGroup, sleep, waitFor } from "../support/events-db";

const RUN = Date.now().toString(36);
const NATS_URL = config().NATS_URL ?? "";
const STREAM = `CF_TEST_${RUN}`;
const PREFIX = `cft${RUN}.events`;
const PARTITIONS = 16; // appendTestEvent partitions like appendEvent with the default EVENT_PARTITIONS, 16

type StartOpts = { workerId?: string; maxAttempts?: number };
type Start = (db: Db, groups: ConsumerGroup[], o?: StartOpts) => Promise<ConsumerRuntime>;

const startPg: Start = async (db, groups, o = {}) =>
  startPostgresConsumers(db, groups, { partitions: PARTITIONS, pollMs: 20, leaseMs: 1000, ...o });
const startNats: Start = (db, groups, o = {}) => {
  if (!NATS_URL) throw new Error("NATS_URL is not set: the NATS transport needs a NATS server (npm test sets it)");
  return startNatsConsumers(db, groups, {
    url: NATS_URL,
    partitions: PARTITIONS,
    stream: STREAM,
    subjectPrefix: PREFIX,
    pollMs: 20,
    ...o,
  });
};

const transports: [string, Start][] = [
  ["postgres", startPg],
  ["nats", startNats],
];

describe.each(transports)("event transport: %s", (transport, start) => {
  const h = effectsDatabase("evt", async () => {
    if (transport === "nats" && NATS_URL) {
      const nc = await connect({ servers: NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(STREAM).catch(() => {});
      await nc.close();
    }
  });
  const group = (test: string) => `t-${transport}-${test}-${RUN}`;
  const keys = (test: string, n: number) => Array.from({ length: n }, (_, i) => `${RUN}-${transport}-${test}-k${i}`);
  const run = async (groups: ConsumerGroup[], o?: StartOpts) => h.track(await start(h.db, groups, o));
  const stop = (r: ConsumerRuntime) => h.stop(r);
  const applied = (grp: string, keyPrefix: string) => h.applied(grp, keyPrefix);
  const parked = (grp: string, keyPrefix: string) =>
    h.pg<{ event_id: string; seq: string; error: string }[]>`
      select p.event_id, p.seq, p.error from parked_events p join outbox_events o on o.id = p.event_id
      where p."group" = ${grp} and o.partition_key like ${`${keyPrefix}%`}`;

  it("applies 300 concurrently appended events exactly once, each key in outbox order", { timeout: 60_000 }, async () => {
    const g = effectsGroup(group("a"));
    const ks = keys("a", 10);
    const r = await run([g]);
    const t0 = Date.now();
    await appendMany(h.db, ks, 30, { writers: 6, txSize: 7 });
    await waitFor(
      "300 applied",
      () => applied(g.name, `${RUN}-${transport}-a-`),
      (n) => n >= 300,
      10_000,
    );
    console.info(`[${transport}] 300 events applied ${Date.now() - t0} ms after the first append`);
    await sleep(500); // room for a late duplicate to show up
    await stop(r);
    expect(g.violations).toEqual([]);
    expect(await applied(g.name, `${RUN}-${transport}-a-`)).toBe(300);
    expect(await parked(g.name, `${RUN}-${transport}-a-`)).toEqual([]);
    // One key's events: applied in the outbox's delivery order, (xid, seq).
    const got = await h.pg<{ partition_key: string; seqs: string[] }[]>`
      select partition_key, array_agg(seq::text order by n) as seqs from test_effects
      where grp = ${g.name} group by partition_key`;
    const want = await h.pg<{ partition_key: string; seqs: string[]; by_seq: string[] }[]>`
      select partition_key, array_agg(seq::text order by xid, seq) as seqs, array_agg(seq::text order by seq) as by_seq
      from outbox_events where partition_key like ${`${RUN}-${transport}-a-%`} group by partition_key`;
    expect(Object.fromEntries(got.map((r) => [r.partition_key, r.seqs]))).toEqual(
      Object.fromEntries(want.map((r) => [r.partition_key, r.seqs])),
    );
    const differ = want.filter((w) => w.seqs.join() !== w.by_seq.join()).length;
    console.info(`[${transport}] keys whose (xid, seq) order differs from seq order: ${differ}/10`);
  });

  it("parks a poison event with its error and applies the events after it on the same key", { timeout: 60_000 }, async () => {
    const g = effectsGroup(group("b"));
    const [k, other] = keys("b", 2) as [string, string];
    let poison = "";
    await h.db.transaction(async (tx) => {
      await appendTestEvent(tx, k, { amount: 1 });
      poison = await appendTestEvent(tx, k, { amount: "lots" });
      await appendTestEvent(tx, k, { amount: 2 });
      await appendTestEvent(tx, other, { amount: 3 });
    });
    await h.db.transaction(async (tx) => {
      await appendTestEvent(tx, k, { amount: 4 });
    });
    const r = await run([g]);
    await waitFor(
      "4 applied",
      () => applied(g.name, `${RUN}-${transport}-b-`),
      (n) => n >= 4,
    );
    const p = await waitFor(
      "poison parked",
      () => parked(g.name, `${RUN}-${transport}-b-`),
      (rows) => rows.length > 0,
    );
    await stop(r);
    expect(p).toHaveLength(1);
    expect(p[0]?.event_id).toBe(poison);
    expect(p[0]?.error).toMatch(/invalid payload/);
    const amounts = await h.pg`select amount from test_effects where grp = ${g.name} and partition_key = ${k} order by n`;
    expect(amounts.map((a) => a.amount)).toEqual([1, 2, 4]);
    expect(await applied(g.name, `${RUN}-${transport}-b-`)).toBe(4);
    expect(g.violations).toEqual([]);
  });

  it("parks an event whose handler always throws after maxAttempts, and applies the rest", { timeout: 60_000 }, async () => {
    const ks = keys("c", 2);
    const ids = await appendMany(h.db, ks, 10, { writers: 1, txSize: 20 });
    const bad = ids[4] as string;
    const g = effectsGroup(group("c"), { failOn: new Set([bad]) });
    const t0 = Date.now();
    const r = await run([g], { maxAttempts: 2 });
    await waitFor(
      "19 applied",
      () => applied(g.name, `${RUN}-${transport}-c-`),
      (n) => n >= 19,
      15_000,
    );
    const p = await waitFor(
      "failing event parked",
      () => parked(g.name, `${RUN}-${transport}-c-`),
      (rows) => rows.length > 0,
      15_000,
    );
    console.info(`[${transport}] failing event parked after ${Date.now() - t0} ms`);
    await sleep(300);
    await stop(r);
    expect(p.map((x) => x.event_id)).toEqual([bad]);
    expect(p[0]?.error).toMatch(/handler refuses/);
    expect(await applied(g.name, `${RUN}-${transport}-c-`)).toBe(19);
    expect((await h.pg`select 1 from test_effects where grp = ${g.name} and event_id = ${bad}`).length).toBe(0);
    expect(g.violations).toEqual([]);
  });

  it("resumes after a restart mid-stream: every event applied exactly once", { timeout: 60_000 }, async () => {
    const g = effectsGroup(group("d"), { delayMs: 5 });
    const ks = keys("d", 8);
    const prefix = `${RUN}-${transport}-d-`;
    const r1 = await run([g], { workerId: `${RUN}-d-1` });
    // A steady trickle of events: batches 0-19 while the first runtime runs (it is
    // stopped in the middle of them), batches 20-39 while nothing runs. Stopping
    // on "some applied" alone raced a fast transport that had applied everything
    // before the stop; with the second half written after the stop, at most half
    // can have been applied, on any machine.
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await h.db.transaction(async (tx) => {
          for (let j = 0; j < 5; j++) {
            const key = ks[(i * 5 + j) % ks.length] as string;
            await appendTestEvent(tx, key, { amount: i * 5 + j });
          }
        });
        await sleep(25);
      }
    };
    const firstHalf = write(0, 20);
    await waitFor(
      "some applied",
      () => applied(g.name, prefix),
      (n) => n >= 20,
    );
    await stop(r1);
    await firstHalf;
    const atStop = await applied(g.name, prefix);
    await write(20, 40);
    expect(await applied(g.name, prefix)).toBe(atStop); // nothing applied while stopped
    await h.db.transaction(async (tx) => {
      for (const key of ks) await appendTestEvent(tx, key, { amount: 1 });
    });
    const r2 = await run([g], { workerId: `${RUN}-d-2` });
    await waitFor(
      "208 applied",
      () => applied(g.name, prefix),
      (n) => n >= 208,
      45_000,
    );
    console.info(`[${transport}] restart: ${atStop}/200 applied when stopped`);
    await sleep(500);
    await stop(r2);
    expect(atStop).toBeLessThanOrEqual(100);
    expect(await applied(g.name, prefix)).toBe(208);
    expect(g.violations).toEqual([]);
  });

  it("shares the work between two runtimes, and one takes over when the other stops", { timeout: 120_000 }, async () => {
    const g = effectsGroup(group("e"));
    const ks = keys("e", 10);
    const prefix = `${RUN}-${transport}-e-`;
    const r1 = await run([g], { workerId: `${RUN}-e-1` });
    const r2 = await run([g], { workerId: `${RUN}-e-2` });
    await appendMany(h.db, ks, 30, { writers: 6, txSize: 7 });
    // Up to ack_wait + slack: on a loaded machine a JetStream fetch can fail half-way, and the messages
    // it had handed over come back only once their ack_wait (30 s) runs out. Late is allowed; lost or doubled is not.
    await waitFor(
      "300 applied",
      () => applied(g.name, prefix),
      (n) => n >= 300,
      40_000,
    );
    if (transport === "postgres") {
      await sleep(2000);
      const split = await waitFor(
        "both hold partitions",
        (): [number[], number[]] => [r1.held()[g.name] ?? [], r2.held()[g.name] ?? []],
        ([a, b]) =>
          a.length > 0 && b.length > 0 && new Set([...a, ...b]).size === PARTITIONS && a.length + b.length === PARTITIONS,
        3000,
      );
      console.info(`[${transport}] held: ${JSON.stringify(split)}`);
    }
    await stop(r1);
    const t0 = Date.now();
    await appendMany(h.db, ks, 10, { writers: 3, txSize: 5 });
    if (transport === "postgres") {
      await waitFor(
        "r2 holds all partitions",
        () => r2.held()[g.name] ?? [],
        (p) => p.length === PARTITIONS,
        3000,
      );
      console.info(`[${transport}] takeover in ${Date.now() - t0} ms`);
    }
    await waitFor(
      "400 applied",
      () => applied(g.name, prefix),
      (n) => n >= 400,
      40_000,
    );
    await sleep(500);
    await stop(r2);
    expect(await applied(g.name, prefix)).toBe(400);
    expect(await parked(g.name, prefix)).toEqual([]);
    expect(g.violations).toEqual([]);
  });
});
