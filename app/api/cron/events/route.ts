import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireCronSecret } from "@/lib/auth/cron";
import { config } from "@/lib/config";
import { drainFromRequest } from "@/lib/events";
import { json, methodNotAllowed, operation } from "@/lib/http";

// Called every minute by Vercel Cron (vercel.json) or any scheduler where no worker runs in the
// background; stops starting batches after the budget, well inside a serverless function's limit.
export const maxDuration = 60;
const BUDGET_MS = 45_000;

/**
 * Apply the outbox events no consumer has applied yet (campaign totals, cache invalidation), within
 * the budget: `Authorization: Bearer $CRON_SECRET`. Answers what it did; `caughtUp: false` means the
 * next call continues. With EVENT_TRANSPORT=nats the workers apply events and this does nothing.
 */
export const GET = operation(API.drainEvents, async (req) => {
  const c = config();
  requireCronSecret(req.headers.get("authorization"), c.CRON_SECRET);
  const summary = await drainFromRequest(db(), c, { budgetMs: BUDGET_MS });
  return json(summary ? { drained: summary } : { skipped: "EVENT_TRANSPORT=nats: the workers apply events" }, {
    headers: { "cache-control": "no-store" },
  });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
