import { db } from "@/lib/app";
import { consumerLag } from "@/lib/events/lag";
import { metrics } from "@/lib/events/metrics";
import { route } from "@/lib/http";

/** Prometheus exposition: this process's counters plus the consumer lag read from the database. */
export const GET = route(async () => {
  const lag = await consumerLag(db()).catch(() => ({}) as Awaited<ReturnType<typeof consumerLag>>);
  const lines = [
    "# HELP crowdfund_consumer_lag_events Events not yet applied by a consumer group",
    "# TYPE crowdfund_consumer_lag_events gauge",
    ...Object.entries(lag).map(([g, l]) => `crowdfund_consumer_lag_events{group="${g}"} ${l.events}`),
    "# HELP crowdfund_consumer_lag_seconds Age of the oldest event not yet applied",
    "# TYPE crowdfund_consumer_lag_seconds gauge",
    ...Object.entries(lag).map(([g, l]) => `crowdfund_consumer_lag_seconds{group="${g}"} ${l.oldestMs / 1000}`),
    "# HELP crowdfund_events_parked Events parked per consumer group",
    "# TYPE crowdfund_events_parked gauge",
    ...Object.entries(lag).map(([g, l]) => `crowdfund_events_parked{group="${g}"} ${l.parked}`),
  ];
  const body = `${await metrics().registry.metrics()}\n${lines.join("\n")}\n`;
  return new Response(body, { headers: { "content-type": metrics().registry.contentType, "cache-control": "no-store" } });
});
