import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { outboxEvents } from "@/db/schema";
import { config } from "@/lib/config";
import { EVENTS, type EventPayload, type EventType } from "./catalogue";
import { partitionOf } from "./partition";

/**
 * Append a domain event to the transactional outbox. Call it with the transaction
 * that makes the change, so the event exists if and only if the change committed.
 * The payload is checked against the event catalogue (lib/events/catalogue.ts): a ZodError
 * means a writer bug and rolls the transaction back. Returns the event ID (UUIDv7).
 */
export async function appendEvent<T extends EventType>(
  tx: Db,
  e: { type: T; partitionKey: string; payload: EventPayload<T> },
): Promise<string> {
  const [id] = await appendEvents(tx, [e]);
  return id as string;
}

/**
 * Append many events of one type in one INSERT, whatever their number (the payout run appends one
 * `payout.paid` per payout of a batch): same contract as `appendEvent`, in `events`' order, which is also
 * their `seq` order. Returns their IDs in that order.
 */
export async function appendEvents<T extends EventType>(
  tx: Db,
  events: { type: T; partitionKey: string; payload: EventPayload<T> }[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const partitions = config().EVENT_PARTITIONS;
  const rows = events.map((e) => {
    EVENTS[e.type].parse(e.payload);
    return {
      id: uuidv7(),
      type: e.type,
      partitionKey: e.partitionKey,
      partition: partitionOf(e.partitionKey, partitions),
      payload: e.payload,
    };
  });
  await tx.insert(outboxEvents).values(rows);
  return rows.map((r) => r.id);
}
