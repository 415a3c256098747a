/**
 * The NATS JetStream transport of the event stream. PostgreSQL's outbox stays
 * the source of truth (JetStream is a delivery channel that can be rebuilt by
 * replaying the outbox: delete the `nats-relay` cursor rows).
 *
 * Relay: a ConsumerGroup `nats-relay` on the PostgreSQL runtime (runtime.ts —
 * leases, cursors) whose `apply` publishes each event, in outbox order, to
 * `${prefix}.${partition}` with `Nats-Msg-Id` = event ID and awaits every
 * PubAck. Publishing happens inside the relay's cursor transaction on purpose:
 * publish, then commit the cursor. A failed publish rolls the batch back and
 * the relay retries it (at-least-once; never parked); JetStream drops repeats
 * within its duplicate window and the consumers' markers drop them beyond it.
 *
 * Consumers: one durable pull consumer `cf-${group}` per ConsumerGroup; worker
 * processes binding the same durable share its messages. A fetched batch is
 * applied in ONE PostgreSQL transaction together with its `consumer_processed`
 * markers (redeliveries find their marker and are skipped: exactly-once effect),
 * and acknowledged only after the commit. A failed batch is retried message by
 * message so that one bad event cannot take its neighbours down; a message that
 * keeps failing is nak'ed with a delay and parked after `maxAttempts` deliveries.
 *
 * Ordering: all partitions share one stream and one durable per group, and a
 * worker has one batch in flight per group, so one worker applies a campaign's
 * events in outbox order (except that a nak'ed message comes back later). With
 * several workers, strict per-partition order would need one consumer per
 * partition subject (and an owner per partition); we accept the relaxed order
 * because the handlers are commutative sums and idempotent invalidations.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  StorageType,
} from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import type { Db } from "@/db/client";
import { consumerProcessed } from "@/db/schema";
import { isDatabaseUnavailable } from "@/lib/errors";
import { EVENT_TYPES } from "./catalogue";
import type { Applied, ConsumerGroup, StreamEvent } from "./consumers";
import { metrics, recordBatch } from "./metrics";
import { parkEvent } from "./park";
import { partitionOf } from "./partition";
import { type ConsumerRuntime, startPostgresConsumers } from "./runtime";

export interface NatsOptions {
  url: string;
  partitions: number;
  workerId?: string;
  log?: (level: "info" | "warn" | "error", msg: string, extra?: object) => void;
  /** JetStream stream name (default CF_EVENTS). */
  stream?: string;
  /** Subject prefix; events go to `${prefix}.${partition}` (default cf.events). */
  subjectPrefix?: string;
  /** Poll interval of the relay (PostgreSQL runtime). */
  pollMs?: number;
  /** Deliveries of one failing message before it is parked (default 3). */
  maxAttempts?: number;
}

/** Redelivery delay of messages that failed because the database was unavailable. */
const DATABASE_RETRY_MS = 5000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Wire = { id: string; seq: number; type: string; partitionKey: string; payload: unknown; createdAt: string };
type Item = { msg: JsMsg; event: StreamEvent };

export async function startNatsConsumers(db: Db, groups: ConsumerGroup[], opts: NatsOptions): Promise<ConsumerRuntime> {
  const workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const stream = opts.stream ?? "CF_EVENTS";
  const prefix = opts.subjectPrefix ?? "cf.events";
  const maxAttempts = opts.maxAttempts ?? 3;
  const log = opts.log ?? (() => {});
  const m = metrics();
  let stopped = false;

  const nc = await connect({ servers: opts.url, name: `cf-events:${workerId}` });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, stream, prefix);
    for (const gr of groups) await ensureDurable(jsm, stream, `cf-${gr.name}`, prefix, gr.startsAt);
  } catch (err) {
    await nc.close();
    throw err;
  }
  const js = jetstream(nc);

  const relayGroup: ConsumerGroup = {
    name: "nats-relay",
    types: EVENT_TYPES,
    parse: (e) => e,
    async apply(_tx, events) {
      // Pipelined: sent in outbox order on one connection (JetStream stores them in that order),
      // then every PubAck awaited before the relay's cursor may commit.
      await Promise.all(
        events.map(({ event: e }) => {
          const wire: Wire = { ...e, createdAt: e.createdAt.toISOString() };
          return js.publish(`${prefix}.${partitionOf(e.partitionKey, opts.partitions)}`, JSON.stringify(wire), { msgID: e.id });
        }),
      );
    },
  };
  // Infinity: the relay never parks an event, it retries until NATS takes it.
  const relay = startPostgresConsumers(db, [relayGroup], {
    partitions: opts.partitions,
    workerId,
    log,
    pollMs: opts.pollMs,
    maxAttempts: Number.POSITIVE_INFINITY,
  });

  function decode(msg: JsMsg): StreamEvent | undefined {
    try {
      const { id, seq, type, partitionKey, payload, createdAt } = msg.json<Wire>();
      if (!UUID.test(String(id)) || typeof type !== "string") throw new Error("not an event");
      return { id, seq: Number(seq), type, partitionKey, payload, createdAt: new Date(createdAt) };
    } catch (err) {
      log("error", "undecodable message dropped", { subject: msg.subject, streamSeq: msg.seq, error: String(err) });
      return undefined;
    }
  }

  /** Apply `items` in one transaction with their processed markers; throws if it rolled back. */
  async function applyItems(gr: ConsumerGroup, items: Item[]) {
    const ids = [...new Set(items.map((i) => i.event.id))];
    const { applied, parked } = await db.transaction(async (tx) => {
      const fresh = new Set(
        (
          await tx
            .insert(consumerProcessed)
            .values(ids.map((eventId) => ({ group: gr.name, eventId })))
            .onConflictDoNothing()
            .returning({ eventId: consumerProcessed.eventId })
        ).map((r) => r.eventId),
      );
      const batch: Applied = [];
      let parked = 0;
      for (const { event } of items) {
        if (!fresh.delete(event.id)) continue; // applied before (a redelivery or a republish)
        try {
          batch.push({ event, data: gr.parse(event) });
        } catch (err) {
          await park(tx, gr, event, `invalid payload: ${err instanceof Error ? err.message : String(err)}`);
          parked++;
        }
      }
      if (batch.length > 0) await gr.apply(tx, batch);
      return { applied: batch, parked };
    });
    if (applied.length > 0 && gr.afterCommit) {
      await gr
        .afterCommit(applied)
        .catch((err) => log("warn", "after-commit hook failed", { group: gr.name, error: String(err) }));
    }
    recordBatch("nats", gr.name, applied, parked);
  }

  const park = (tx: Db, gr: ConsumerGroup, e: StreamEvent, error: string) => parkEvent(tx, gr.name, e, error, log);

  /** One message failed on its own: let JetStream redeliver it later, or park it for good. */
  async function onItemFailure(gr: ConsumerGroup, { msg, event }: Item, err: unknown) {
    const n = msg.info.deliveryCount;
    log("warn", "event failed", { group: gr.name, eventId: event.id, delivery: n, error: String(err) });
    // The database down is no fault of the event: never park it for that (parking needs the database anyway).
    if (isDatabaseUnavailable(err)) return msg.nak(DATABASE_RETRY_MS);
    if (n < maxAttempts) return msg.nak(1000);
    try {
      await db.transaction(async (tx) => {
        await park(tx, gr, event, `failed ${n} times: ${err instanceof Error ? err.message : String(err)}`);
        await tx.insert(consumerProcessed).values({ group: gr.name, eventId: event.id }).onConflictDoNothing();
      });
      m.parked.inc({ group: gr.name, transport: "nats" });
      msg.ack();
    } catch (e) {
      log("error", "parking failed", { group: gr.name, eventId: event.id, error: String(e) });
      msg.nak(1000);
    }
  }

  async function handle(gr: ConsumerGroup, msgs: JsMsg[]) {
    const items: Item[] = [];
    for (const msg of msgs) {
      const event = decode(msg);
      if (!event) msg.term();
      else if (!gr.types.includes(event.type)) msg.ack();
      else items.push({ msg, event });
    }
    if (items.length === 0) return;
    try {
      await applyItems(gr, items);
      for (const i of items) i.msg.ack();
    } catch (err) {
      m.failures.inc({ group: gr.name, transport: "nats" });
      if (isDatabaseUnavailable(err)) {
        // No culprit to isolate: every message comes back once the database may be up again.
        log("warn", "database unavailable; events redelivered later", {
          group: gr.name,
          count: items.length,
          error: String(err),
        });
        for (const i of items) i.msg.nak(DATABASE_RETRY_MS);
        return;
      }
      if (items.length === 1) return onItemFailure(gr, items[0] as Item, err);
      // Isolate the culprit: retry one by one, in order.
      for (const item of items) {
        try {
          await applyItems(gr, [item]);
          item.msg.ack();
        } catch (e) {
          m.failures.inc({ group: gr.name, transport: "nats" });
          await onItemFailure(gr, item, e);
        }
      }
    }
  }

  async function loop(gr: ConsumerGroup) {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(stream, `cf-${gr.name}`);
        while (!stopped) {
          // Runs to the end of the batch (500 messages or 1 s, the client's minimum) even when
          // stopping: every message handed to us gets applied and acked rather than waiting out ack_wait.
          // A fetch that fails half-way (a missed heartbeat on a loaded machine) still applies what it
          // handed over, instead of leaving it to come back after ack_wait.
          const batch: JsMsg[] = [];
          let fetchFailed: unknown;
          try {
            for await (const msg of await consumer.fetch({ max_messages: 500, expires: 1000 })) batch.push(msg);
          } catch (err) {
            fetchFailed = err;
          }
          if (batch.length > 0) await handle(gr, batch);
          if (fetchFailed) throw fetchFailed;
        }
      } catch (err) {
        if (stopped) break;
        log("error", "nats consumer failed", { group: gr.name, error: String(err) });
        await new Promise((r) => setTimeout(r, 1000));
        await ensureDurable(await jetstreamManager(nc), stream, `cf-${gr.name}`, prefix, gr.startsAt).catch(() => {});
      }
    }
  }

  const loops = Promise.all(groups.map((gr) => loop(gr)));
  log("info", "nats consumers started", { workerId, stream, groups: groups.map((g) => g.name) });

  return {
    workerId,
    held: () => ({
      ...relay.held(),
      ...Object.fromEntries(groups.map((gr) => [gr.name, Array.from({ length: opts.partitions }, (_, i) => i)])),
    }),
    async stop() {
      stopped = true;
      await Promise.all([loops, relay.stop()]);
      await nc.drain().catch((err) => log("warn", "nats drain failed", { error: String(err) }));
    },
  };
}

/** Create the stream, or bring an existing one's subjects and duplicate window up to date. */
async function ensureStream(jsm: JetStreamManager, name: string, prefix: string) {
  const cfg = { subjects: [`${prefix}.>`], duplicate_window: nanos(2 * 60_000) };
  try {
    await jsm.streams.add({ name, storage: StorageType.File, ...cfg });
  } catch (err) {
    await jsm.streams.update(name, cfg).catch(() => Promise.reject(err));
  }
}

/** Create (or update) a group's durable consumer; a group that `startsAt: "now"` gets only messages published after its creation. */
async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  prefix: string,
  startsAt: "beginning" | "now" = "beginning",
) {
  const cfg = { ack_wait: nanos(30_000), max_ack_pending: 1000 };
  try {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: startsAt === "now" ? DeliverPolicy.New : DeliverPolicy.All,
      filter_subject: `${prefix}.>`,
      ...cfg,
    });
  } catch (err) {
    await jsm.consumers.update(stream, durable, cfg).catch(() => Promise.reject(err));
  }
}
