import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { outboxEvents } from "@/db/schema";
import { config } from "@/lib/config";
import { partitionOf } from "./partition";

export type DomainEventType = "campaign.created" | "campaign.updated" | "contribution.succeeded" | "contribution.failed";

/**
 * Append a domain event to the transactional outbox. Call it with the transaction
 * that makes the change, so the event exists if and only if the change committed.
 */
export async function appendEvent(
  tx: Db,
  e: { type: DomainEventType; partitionKey: string; payload: Record<string, unknown> },
): Promise<string> {
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
