import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { requireCronSecret } from "@/lib/auth/cron";
import { config } from "@/lib/config";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";
import { keepPartitionsAhead } from "@/lib/ops/partitions";
import { runPayouts, todayIn } from "@/lib/payouts/run";
import { cronQuerySchema } from "@/lib/payouts/schemas";

// A serverless function's limit (Vercel); the run stops between batches before it and says so.
export const maxDuration = 300;
const BUDGET_MS = 270_000;

/**
 * The day's payout run for Vercel Cron (vercel.json), or any external cron:
 * `Authorization: Bearer $CRON_SECRET`. Same function as the scheduler and the CLI.
 * `?date=YYYY-MM-DD` re-runs a past day (its cut-off must have come). Where no scheduler process runs (Vercel), this
 * daily call also keeps the coming months' partitions made (docs/partitioning.md); that never fails the run.
 */
export const GET = operation(API.runPayouts, async (req) => {
  const c = config();
  requireCronSecret(req.headers.get("authorization"), c.CRON_SECRET);
  const q = cronQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  await keepPartitionsAhead(db(), services().log);
  const summary = await runPayouts(db(), services().payouts, {
    date: q.data.date ?? todayIn(c.PAYOUT_TIMEZONE),
    deadline: Date.now() + BUDGET_MS,
  });
  return json({ summary }, { headers: { "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
