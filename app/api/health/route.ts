import { sql } from "drizzle-orm";
import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { consumerLag } from "@/lib/events/lag";
import { json, operation } from "@/lib/http";
import { pendingPayments } from "@/lib/payments/reconcile";

export const GET = operation(API.getHealth, async () => {
  const started = performance.now();
  try {
    await db().execute(sql`select 1`);
  } catch {
    return json(
      { status: "error", checks: { database: { status: "down" } } },
      { status: 503, headers: { "cache-control": "no-store" } },
    );
  }
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const consumers = await consumerLag(db()).catch(() => ({}));
  // Payments the provider has not answered for: a growing count or age means webhooks are not arriving.
  const payments = await pendingPayments(db(), services().payments.provider.name).catch(() => undefined);
  return json(
    { status: "ok", checks: { database: { status: "up", latencyMs: ms } }, consumers, ...(payments ? { payments } : {}) },
    { headers: { "cache-control": "no-store" } },
  );
});
