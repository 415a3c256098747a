import type { Db } from "@/db/client";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import type { Config } from "@/lib/config";
import { logger } from "@/lib/log";
import { DEFAULT_GROUPS, onCampaignsChanged } from "./consumers";
import { type DrainSummary, drainEvents } from "./drain";
import { startNatsConsumers } from "./nats";
import { partitionOf } from "./partition";
import { type ConsumerRuntime, startPostgresConsumers } from "./runtime";

const log = (level: "info" | "warn" | "error", msg: string, extra?: object) => logger()[level](extra ?? {}, msg);

/** Start the event consumers on the configured transport (the web process by default, or `npm run worker`). */
export async function startConsumers(db: Db, c: Config, opts: { workerId?: string } = {}): Promise<ConsumerRuntime> {
  if (c.EVENT_TRANSPORT === "nats") {
    return startNatsConsumers(db, DEFAULT_GROUPS, { url: c.NATS_URL as string, partitions: c.EVENT_PARTITIONS, log, ...opts });
  }
  return startPostgresConsumers(db, DEFAULT_GROUPS, { partitions: c.EVENT_PARTITIONS, log, ...opts });
}

/**
 * Apply pending events from a request, within `budgetMs` (the cron route every minute; `after()` a
 * payment settles, limited to that campaign's partition): the same groups as the workers, with the
 * campaign cache's invalidation hooked. With EVENT_TRANSPORT=nats the workers read JetStream and a
 * drain over PostgreSQL cursors would apply events a second time, so it does nothing (undefined).
 */
export async function drainFromRequest(
  db: Db,
  c: Config,
  opts: { budgetMs: number; campaignId?: string },
): Promise<DrainSummary | undefined> {
  if (c.EVENT_TRANSPORT === "nats") return undefined;
  onCampaignsChanged("campaign-cache", invalidateCampaigns);
  const only = opts.campaignId ? [partitionOf(opts.campaignId, c.EVENT_PARTITIONS)] : undefined;
  return drainEvents(db, DEFAULT_GROUPS, { partitions: c.EVENT_PARTITIONS, only, budgetMs: opts.budgetMs, log });
}
