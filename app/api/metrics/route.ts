import { services } from "@/lib/app";
import { currentUser } from "@/lib/auth/session";
import { metrics } from "@/lib/events/metrics";
import { methodNotAllowed, route } from "@/lib/http";
import { requireOpsAccess } from "@/lib/ops";

/**
 * Prometheus exposition: this process's counters plus the consumer lag from the cached outbox scan
 * (lib/ops). Needs `Bearer METRICS_TOKEN` or an admin's credential (401/403 otherwise).
 */
export const GET = route(async (req) => {
  await requireOpsAccess(req, { metricsToken: services().config.METRICS_TOKEN, currentUser });
  const { checkedAt, consumers: lag } = await services().opsSnapshot.get();
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
    "# HELP crowdfund_ops_snapshot_timestamp_seconds When the lag figures above were read (one scan serves 5 s)",
    "# TYPE crowdfund_ops_snapshot_timestamp_seconds gauge",
    `crowdfund_ops_snapshot_timestamp_seconds ${Date.parse(checkedAt) / 1000}`,
  ];
  const body = `${await metrics().registry.metrics()}\n${lines.join("\n")}\n`;
  return new Response(body, { headers: { "content-type": metrics().registry.contentType, "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
