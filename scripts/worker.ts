/**
 * `npm run worker`: the consumer process role. Runs the event consumers (campaign
 * totals, cache invalidation) without serving HTTP; start as
 * many as you like — they share the partitions (leases on PostgreSQL, a durable
 * consumer on NATS JetStream) and take over a dead worker's share within seconds.
 * Set EVENT_CONSUMERS=off on the web instances when you run workers apart.
 */
import { openDb } from "@/db/client";
import { configuredDatabase } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { ConfigError, config } from "@/lib/config";
import { startConsumers } from "@/lib/events";
import { onCampaignsChanged } from "@/lib/events/consumers";

const say = (msg: string) => console.log(`[worker] ${msg}`);

async function main() {
  let c: ReturnType<typeof config>;
  try {
    c = config();
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : String(e));
    process.exit(1);
  }
  const { url, embedded } = await configuredDatabase(c, say);
  await migrateDatabase(url);
  const { sql, db } = openDb(url, 4);
  onCampaignsChanged("campaign-cache", invalidateCampaigns); // drops L2 entries and tells every web instance over pub/sub
  const runtime = await startConsumers(db, c, { workerId: c.WORKER_ID });
  say(`consumers running (${c.EVENT_TRANSPORT}, ${c.EVENT_PARTITIONS} partitions, worker ${runtime.workerId})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: handing partitions over and stopping`);
    await runtime.stop();
    await sql.end();
    await embedded?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err) => {
  console.error(`[worker] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
