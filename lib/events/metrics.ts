import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { services } from "@/lib/app";

/** Prometheus metrics (prom-client): a registry and the event counters; the composition root makes the process's one. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "crowdfund_" });
  return {
    registry,
    processed: new Counter({
      name: "crowdfund_events_processed_total",
      help: "Events applied by a consumer group",
      labelNames: ["group", "transport"],
      registers: [registry],
    }),
    failures: new Counter({
      name: "crowdfund_event_failures_total",
      help: "Failed attempts to apply an event batch",
      labelNames: ["group", "transport"],
      registers: [registry],
    }),
    parked: new Counter({
      name: "crowdfund_events_parked_total",
      help: "Events parked (bad payload or repeated failure)",
      labelNames: ["group", "transport"],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: "crowdfund_event_batch_size",
      help: "Events per applied batch",
      labelNames: ["group", "transport"],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    applyLatency: new Histogram({
      name: "crowdfund_event_apply_latency_seconds",
      help: "From the event's commit to its application by a consumer",
      labelNames: ["group", "transport"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The process's metrics (lib/app `services().metrics`). */
export function metrics(): Metrics {
  return services().metrics;
}

/** Count one applied batch (and what it parked) for a group on a transport. */
export function recordBatch(
  transport: "postgres" | "nats",
  group: string,
  applied: { event: { createdAt: Date } }[],
  parked: number,
): void {
  const m = metrics();
  const labels = { group, transport };
  if (applied.length > 0) {
    m.processed.inc(labels, applied.length);
    m.batchSize.observe(labels, applied.length);
    const now = Date.now();
    for (const b of applied) m.applyLatency.observe(labels, Math.max(0, now - b.event.createdAt.getTime()) / 1000);
  }
  if (parked > 0) m.parked.inc(labels, parked);
}
