import type { Db } from "@/db/client";
import { parkedEvents } from "@/db/schema";
import type { StreamEvent } from "./consumers";

/** Park an event a group cannot apply (bad payload, or failing again and again), with its error. */
export async function parkEvent(
  tx: Db,
  group: string,
  e: Pick<StreamEvent, "id" | "seq" | "type">,
  error: string,
  log: (level: "warn", msg: string, extra?: object) => void,
): Promise<void> {
  log("warn", "event parked", { group, eventId: e.id, type: e.type, error });
  await tx
    .insert(parkedEvents)
    .values({ group, eventId: e.id, seq: e.seq, error: error.slice(0, 2000) })
    .onConflictDoNothing();
}
