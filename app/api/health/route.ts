import { sql } from "drizzle-orm";
import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { currentUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { opsAccess } from "@/lib/ops";

const noStore = { "cache-control": "no-store" };

/** Liveness for anyone; the details (latency, lag, payments pending) for the metrics token or an admin (lib/ops). */
export const GET = operation(API.getHealth, async (req) => {
  const started = performance.now();
  try {
    await db().execute(sql`select 1`);
  } catch {
    // before any credential check: telling a token from none needs the database too
    return json({ status: "error", checks: { database: { status: "down" } } }, { status: 503, headers: noStore });
  }
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const access = await opsAccess(req, { metricsToken: services().config.METRICS_TOKEN, currentUser });
  if (access !== "full") return json({ status: "ok", checks: { database: { status: "up" } } }, { headers: noStore });
  const { checkedAt, consumers, payments } = await services().opsSnapshot.get();
  return json(
    { status: "ok", checks: { database: { status: "up", latencyMs } }, checkedAt, consumers, ...(payments ? { payments } : {}) },
    { headers: noStore },
  );
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
