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
  EVENTS[e.type].parse(e.payload);
  const id = uuidv7();
  await tx.insert(outboxEvents).values({
    id,
    type: e.type,
    partitionKey: e.partitionKey,
    partition: partitionOf(e.partitionKey, config().EVENT_PARTITIONS),
    payload: e.payload,
  });
  return id;
}
