import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  customType,
  index,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

/** PostgreSQL's 64-bit transaction ID; carried as a decimal string. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

/**
 * The transactional outbox: every domain event is inserted in the same
 * transaction as the change it describes. `seq` orders events; consumers keep
 * their own cursor over it; `partitionKey` (the campaign ID) keeps one
 * campaign's events in order when consumers are partitioned.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: uuid("id").notNull().unique(),
    type: text("type").notNull(),
    partitionKey: text("partition_key").notNull(),
    /** Consumer partition, hash of partitionKey modulo EVENT_PARTITIONS (lib/events/partition.ts). */
    partition: smallint("partition").notNull().default(0),
    /**
     * The writing transaction's ID. Consumers read only events whose transaction is
     * older than every transaction still running, in (xid, seq) order, so an event
     * committed late can never fall behind a cursor (a plain seq cursor could skip it).
     */
    xid: xid8("xid").notNull().default(sql`pg_current_xact_id()`),
    payload: jsonb("payload").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("outbox_events_consume_idx").on(t.partition, t.xid, t.seq)],
);

/** One cursor per (consumer group, partition): the last event applied, in (xid, seq) order. */
export const consumerCursors = pgTable(
  "consumer_cursors",
  {
    group: text("group").notNull(),
    partition: smallint("partition").notNull(),
    lastXid: xid8("last_xid").notNull().default(sql`'0'::xid8`),
    lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.group, t.partition] })],
);

/** Who processes a (group, partition) now; a lease not renewed in time is taken over. */
export const consumerLeases = pgTable(
  "consumer_leases",
  {
    group: text("group").notNull(),
    partition: smallint("partition").notNull(),
    owner: text("owner"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.group, t.partition] })],
);

/** Live workers (heartbeats), to share partitions fairly. */
export const consumerWorkers = pgTable("consumer_workers", {
  id: text("id").primaryKey(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Events a consumer could not apply (bad payload, handler keeps failing): parked with the error, skipped. */
export const parkedEvents = pgTable(
  "parked_events",
  {
    group: text("group").notNull(),
    eventId: uuid("event_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    error: text("error").notNull(),
    parkedAt: timestamp("parked_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.group, t.eventId] })],
);

/** Processed markers for transports without a cursor (NATS JetStream): written with the effect. */
export const consumerProcessed = pgTable(
  "consumer_processed",
  {
    group: text("group").notNull(),
    eventId: uuid("event_id").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.group, t.eventId] })],
);
