import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { requireCronSecret } from "@/lib/auth/cron";
import { config } from "@/lib/config";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { reconcilePayments } from "@/lib/payments/reconcile";
import { resumeRefunds } from "@/lib/payments/refunds";

// A serverless function's limit (Vercel); reconciliation starts no new page after BUDGET_MS, refunds get the rest.
export const maxDuration = 300;
const BUDGET_MS = 200_000;

/**
 * Reconciliation for Vercel Cron (vercel.json, every few minutes), or any external cron where no scheduler runs:
 * `Authorization: Bearer $CRON_SECRET`. Asks the provider about every payment pending too long (the same function
 * as the scheduler's PAYMENT_RECONCILE_SCHEDULE) and sends again the refunds it never answered.
 */
export const GET = operation(API.reconcilePayments, async (req) => {
  requireCronSecret(req.headers.get("authorization"), config().CRON_SECRET);
  const deps = services().payments;
  const log = services().log;
  const payments = await reconcilePayments(db(), deps, {
    deadline: Date.now() + BUDGET_MS,
    onError: (contributionId, err) => log.error({ err, contributionId }, "payments: reconciling a payment failed"),
  });
  const refundsResent = await resumeRefunds(db(), deps.provider, {
    onError: (refundId, err) => log.error({ err, refundId }, "refunds: sending a refund failed"),
  });
  return json({ payments, refundsResent }, { headers: { "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
