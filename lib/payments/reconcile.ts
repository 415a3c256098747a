import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { contributions } from "@/db/schema";
import type { ContributeDeps } from "./contributions";
import { type ProviderPayment, ProviderUnavailableError, unmadePaymentId } from "./provider";
import { type SettleResult, settlePayment } from "./settle";

type Contribution = typeof contributions.$inferSelect;

/** When reconciliation asks and gives up (config: PAYMENT_RECONCILE_AFTER_SECONDS, PAYMENT_ACTION_TIMEOUT_SECONDS). */
export interface ReconcileSettings {
  /** A contribution pending this long (ms) is asked about. */
  afterMs: number;
  /** One still waiting for its payer (requires_action), or never made at the provider, this long (ms) fails. */
  actionTimeoutMs: number;
}

/** What asking about one contribution did. */
export type ReconcileOutcome =
  | SettleResult
  /** The payer must still authenticate (within the timeout). */
  | "requires_action"
  /** Canceled after the timeout (the contribution failed, or settled if it succeeded meanwhile). */
  | "canceled"
  /** No payment was ever made at the provider; failed after the timeout (nothing was charged). */
  | "not_started"
  /** Not made at the provider yet, within the timeout: the request making it may still be running. */
  | "not_found"
  | "provider_unavailable";

/**
 * Ask the provider about ONE pending contribution and settle what it answers through the one settle function
 * (settlePayment): the payment found by its PaymentIntent ID, or by the contribution's ID in its metadata when the
 * create call never got an answer (`findPayment`). Past `actionTimeoutMs` a payment still waiting for its payer's
 * authentication (a 3-D Secure next action) is canceled at the provider (`abandoned`) and one never made fails with `payment_not_started`. Answers the outcome
 * and the provider's payment (its client secret and next action, for the payer). Never throws for the provider's
 * outage (`provider_unavailable`); database errors propagate.
 */
export async function reconcileContribution(
  db: Db,
  deps: Pick<ContributeDeps, "provider" | "feeBps" | "reconcile"> & Partial<Pick<ContributeDeps, "cardTesting">>,
  c: Contribution,
): Promise<{ outcome: ReconcileOutcome; payment?: ProviderPayment }> {
  if (c.status !== "pending" || c.provider !== deps.provider.name) return { outcome: "already_settled" };
  const expired = Date.now() - c.createdAt.getTime() >= deps.reconcile.actionTimeoutMs;
  const settle = async (payment: ProviderPayment) =>
    (await settlePayment(db, { provider: deps.provider.name, payment, feeBps: deps.feeBps, declines: deps.cardTesting })).result;
  try {
    let payment = c.providerPaymentId
      ? await deps.provider.retrievePayment(c.providerPaymentId)
      : await deps.provider.findPayment(c.id);
    if (!payment) {
      if (!expired) return { outcome: "not_found" };
      const never: ProviderPayment = {
        id: unmadePaymentId(c.id), // as a create call the provider refused: no PaymentIntent exists
        status: "failed",
        amount: c.amount,
        currency: c.currency,
        contributionId: c.id,
        failureCode: "payment_not_started",
        failureMessage: "The payment never reached the payment provider; nothing was charged.",
      };
      await settle(never);
      return { outcome: "not_started" };
    }
    // Only an authentication the payer walked away from: a voucher or bank transfer (no nextAction) takes days.
    if (payment.status === "requires_action" && payment.nextAction && expired) {
      payment = await deps.provider.cancelPayment(payment.id);
      const result = await settle(payment);
      // A cancel refused because it succeeded meanwhile settles that success instead.
      return { outcome: result === "applied" && payment.status === "failed" ? "canceled" : result, payment };
    }
    const result = await settle(payment);
    return { outcome: payment.status === "requires_action" ? "requires_action" : result, payment };
  } catch (err) {
    if (err instanceof ProviderUnavailableError) return { outcome: "provider_unavailable" };
    throw err;
  }
}

export interface ReconcileSummary {
  /** Pending contributions of this provider older than `afterMs` that were asked about. */
  checked: number;
  /** Settled by the answer (succeeded or failed). */
  settled: number;
  canceled: number;
  notStarted: number;
  /** Still pending or waiting for their payer. */
  stillPending: number;
  providerUnavailable: number;
  /** Rows that could not be reconciled (e.g. an amount with no app equivalent): reported, skipped, asked again next run. */
  errors: number;
  /** False when the run stopped at its deadline with pages left (the next run goes on). */
  complete: boolean;
}

/**
 * The reconciliation job (the scheduler, GET /api/cron/reconcile, `cli payments reconcile`): every contribution of
 * this provider pending longer than `deps.reconcile.afterMs` is asked about (reconcileContribution), oldest first, in pages of
 * `pageSize` through the partial index on pending contributions. Repairs what missed webhooks left pending (wrong
 * URL or secret, an outage longer than the provider's retries). `onProgress(summary)` after each page. Safe to run
 * in several processes at once: settling is idempotent.
 */
export async function reconcilePayments(
  db: Db,
  deps: Pick<ContributeDeps, "provider" | "feeBps" | "reconcile">,
  s: {
    pageSize?: number;
    onProgress?: (s: ReconcileSummary) => void;
    /** A row that failed (not the provider's outage): the job goes on with the next. */
    onError?: (contributionId: string, err: unknown) => void;
    /** Epoch ms after which no new page is started (a serverless function's time limit). */
    deadline?: number;
  } = {},
): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    checked: 0,
    settled: 0,
    canceled: 0,
    notStarted: 0,
    stillPending: 0,
    providerUnavailable: 0,
    errors: 0,
    complete: true,
  };
  const before = new Date(Date.now() - deps.reconcile.afterMs);
  let after: string | undefined;
  for (;;) {
    if (s.deadline && Date.now() > s.deadline) return { ...summary, complete: false };
    const page = await db
      .select()
      .from(contributions)
      .where(
        and(
          eq(contributions.status, "pending"),
          eq(contributions.provider, deps.provider.name),
          lt(contributions.createdAt, before),
          // Keyset on the last row's own (created_at, id), read in SQL: microseconds, not a JS Date's milliseconds.
          after
            ? sql`(${contributions.createdAt}, ${contributions.id}) > (select created_at, id from contributions where id = ${after}::uuid)`
            : undefined,
        ),
      )
      .orderBy(asc(contributions.createdAt), asc(contributions.id))
      .limit(s.pageSize ?? 200);
    for (const c of page) {
      summary.checked++;
      let outcome: ReconcileOutcome;
      try {
        ({ outcome } = await reconcileContribution(db, deps, c));
      } catch (err) {
        summary.errors++;
        s.onError?.(c.id, err);
        continue;
      }
      if (outcome === "applied") summary.settled++;
      else if (outcome === "canceled") summary.canceled++;
      else if (outcome === "not_started") summary.notStarted++;
      else if (outcome === "provider_unavailable") summary.providerUnavailable++;
      else if (outcome === "still_pending" || outcome === "requires_action" || outcome === "not_found") summary.stillPending++;
    }
    s.onProgress?.(summary);
    const last = page.at(-1);
    if (!last || page.length < (s.pageSize ?? 200)) return summary;
    after = last.id;
  }
}

/**
 * Payments of `provider` (the configured one: reconciliation asks only it) pending now, for /api/health: how many
 * and how old the oldest is (seconds; null when none).
 */
export async function pendingPayments(
  db: Db,
  provider: string,
): Promise<{ pending: number; oldestPendingSeconds: number | null }> {
  const [row] = await db
    .select({
      pending: sql<number>`count(*)::int`,
      oldest: sql<number | null>`extract(epoch from now() - min(${contributions.createdAt}))::int`,
    })
    .from(contributions)
    .where(and(eq(contributions.status, "pending"), eq(contributions.provider, provider))); // contributions_pending_idx
  return { pending: row?.pending ?? 0, oldestPendingSeconds: row?.oldest ?? null };
}
