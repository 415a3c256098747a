import Stripe from "stripe";
import type { Db } from "@/db/client";
import { providerEvents } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { CurrencyUnitError } from "@/lib/money/currency";
import type { DeclineCounter } from "./card-testing";
import { settleDispute } from "./disputes";
import { type PaymentProvider, ProviderUnavailableError } from "./provider";
import { settleRefund } from "./refunds";
import { type SettleResult, settlePayment } from "./settle";
import { fromDispute, fromIntent, fromRefund } from "./stripe";

/** Stripe's own default tolerance: a signature older than 5 minutes is refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
export const MAX_WEBHOOK_BYTES = 256 * 1024;

/** Events that end a PaymentIntent: succeeded, or failed (declined, failed authentication, canceled as abandoned). */
const PAYMENT_EVENTS = new Set(["payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"]);
/** Events whose data.object is a Refund. */
const REFUND_EVENTS = new Set(["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"]);
/** Events whose data.object is a Dispute. */
const DISPUTE_EVENTS = new Set([
  "charge.dispute.created",
  "charge.dispute.updated",
  "charge.dispute.closed",
  "charge.dispute.funds_withdrawn",
  "charge.dispute.funds_reinstated",
]);

export interface WebhookDeps {
  provider: PaymentProvider;
  feeBps: number;
  /** Called once the settlement committed a change to a contribution of this campaign. */
  onSettled?: (campaignId: string) => void;
  /** Card-testing counters: a decline reported by webhook counts as one reported by the API's answer. */
  declines?: DeclineCounter;
}

export type WebhookResult = { received: true; ignored?: string; result?: string };

/**
 * Verify and apply one webhook delivery. Bad or stale signatures are 400s (Stripe
 * stops retrying those); event types we do not handle are acknowledged; database
 * failures propagate (the database down: 503 DATABASE_UNAVAILABLE, else 500) so that Stripe retries.
 */
export async function handleStripeWebhook(
  db: Db,
  deps: WebhookDeps,
  rawBody: string,
  signature: string | null,
): Promise<WebhookResult> {
  if (!signature) throw new AppError("INVALID_SIGNATURE", "Missing Stripe-Signature header");
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, deps.provider.webhookSecret, SIGNATURE_TOLERANCE_SECONDS);
  } catch {
    throw new AppError(
      "INVALID_SIGNATURE",
      "The Stripe-Signature header does not verify (wrong secret, altered body or too old)",
    );
  }
  try {
    return await applyEvent(db, deps, event);
  } catch (err) {
    if (!(err instanceof CurrencyUnitError)) throw err;
    // An amount with no exact equivalent in the app's units (a dashboard refund of 10.50 Ft, a foreign payment in
    // a currency we do not take): not ours to apply, and retrying cannot change it. Kept for operators with the
    // event (provider_events.outcome), acknowledged so the provider stops redelivering.
    const object = (event.data.object ?? {}) as { id?: unknown; payment_intent?: unknown };
    const paymentId =
      typeof object.payment_intent === "string" ? object.payment_intent : typeof object.id === "string" ? object.id : null;
    await db
      .insert(providerEvents)
      .values({
        eventId: event.id,
        provider: deps.provider.name,
        type: event.type,
        paymentId,
        outcome: "amount_not_representable",
      })
      .onConflictDoNothing();
    return { received: true, ignored: "amount_not_representable" };
  }
}

async function applyEvent(db: Db, deps: WebhookDeps, event: Stripe.Event): Promise<WebhookResult> {
  const settled = (campaignId: string | undefined) => campaignId && deps.onSettled?.(campaignId);
  if (REFUND_EVENTS.has(event.type)) {
    const refund = event.data.object as Stripe.Refund;
    if (refund?.object !== "refund" || typeof refund.payment_intent !== "string" || !Number.isSafeInteger(refund.amount))
      return { received: true, ignored: "malformed refund" };
    const out = await settleRefund(db, {
      provider: deps.provider.name,
      refund: fromRefund(refund),
      event: { id: event.id, type: event.type },
    });
    if (out.result === "applied" || out.result === "recorded") settled(out.campaignId);
    return { received: true, result: out.result };
  }
  if (event.type === "charge.refunded") {
    // Since API version 2022-11-15 a Charge no longer lists its refunds unless expanded: ask the provider.
    const charge = event.data.object as Stripe.Charge;
    if (charge?.object !== "charge" || typeof charge.payment_intent !== "string")
      return { received: true, ignored: "malformed charge" };
    const listed = charge.refunds?.data?.length
      ? charge.refunds.data.map(fromRefund)
      : await deps.provider.listRefunds(charge.payment_intent).catch((err: unknown) => {
          // 503: the provider redelivers the event later, when it can answer.
          if (err instanceof ProviderUnavailableError)
            throw new AppError("PAYMENT_PROVIDER_UNAVAILABLE", "The payment provider could not list this charge's refunds");
          throw err;
        });
    const results = [];
    for (const refund of listed) {
      const out = await settleRefund(db, { provider: deps.provider.name, refund });
      if (out.result === "applied" || out.result === "recorded") settled(out.campaignId);
      results.push(out.result);
    }
    return { received: true, result: results.join(",") || "no_refunds" };
  }
  if (DISPUTE_EVENTS.has(event.type)) {
    const dispute = event.data.object as Stripe.Dispute;
    if (dispute?.object !== "dispute" || typeof dispute.payment_intent !== "string" || !Number.isSafeInteger(dispute.amount))
      return { received: true, ignored: "malformed dispute" };
    const out = await settleDispute(db, {
      provider: deps.provider.name,
      dispute: fromDispute(dispute),
      event: { id: event.id, type: event.type },
    });
    if (out.result === "applied") settled(out.campaignId);
    return { received: true, result: out.result };
  }
  if (!PAYMENT_EVENTS.has(event.type)) return { received: true, ignored: event.type };
  const intent = event.data.object as Stripe.PaymentIntent;
  if (intent?.object !== "payment_intent" || typeof intent.id !== "string" || !Number.isSafeInteger(intent.amount)) {
    return { received: true, ignored: "malformed payment_intent" };
  }
  const payment = fromIntent(intent);
  // The event type is authoritative for the outcome it reports.
  payment.status = event.type === "payment_intent.succeeded" ? "succeeded" : "failed";
  const { result, contribution } = await settlePayment(db, {
    provider: deps.provider.name,
    payment,
    event: { id: event.id, type: event.type },
    feeBps: deps.feeBps,
    declines: deps.declines,
  });
  if (result === "applied" && contribution) settled(contribution.campaignId);
  return { received: true, result: result satisfies SettleResult };
}
