import type { Db } from "@/db/client";
import type { Config } from "@/lib/config";
import { logger } from "@/lib/log";
import { DEFAULT_GROUPS } from "./consumers";
import { startNatsConsumers } from "./nats";
import { type ConsumerRuntime, startPostgresConsumers } from "./runtime";

/** Start the event consumers on the configured transport (the web process by default, or `npm run worker`). */
export async function startConsumers(db: Db, c: Config, opts: { workerId?: string } = {}): Promise<ConsumerRuntime> {
  const log = (level: "info" | "warn" | "error", msg: string, extra?: object) => logger()[level](extra ?? {}, msg);
  if (c.EVENT_TRANSPORT === "nats") {
    return startNatsConsumers(db, DEFAULT_GROUPS, { url: c.NATS_URL as string, partitions: c.EVENT_PARTITIONS, log, ...opts });
  }
  return startPostgresConsumers(db, DEFAULT_GROUPS, { partitions: c.EVENT_PARTITIONS, log, ...opts });
}
