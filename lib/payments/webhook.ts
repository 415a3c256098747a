import Stripe from "stripe";
import type { Db } from "@/db/client";
import { AppError } from "@/lib/errors";
import type { PaymentProvider } from "./provider";
import { type SettleResult, settlePayment } from "./settle";
import { fromIntent } from "./stripe";

/** Stripe's own default tolerance: a signature older than 5 minutes is refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
export const MAX_WEBHOOK_BYTES = 256 * 1024;

const HANDLED = new Set(["payment_intent.succeeded", "payment_intent.payment_failed"]);

export type WebhookResult = { received: true; ignored?: string; result?: SettleResult };

/**
 * Verify and apply one webhook delivery. Bad or stale signatures are 400s (Stripe
 * stops retrying those); event types we do not handle are acknowledged; database
 * failures propagate as 500 so that Stripe retries.
 */
export async function handleStripeWebhook(
  db: Db,
  deps: {
    provider: PaymentProvider;
    feeBps: number;
    /** Called once the settlement committed a change to a contribution of this campaign. */
    onSettled?: (campaignId: string) => void;
  },
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
  if (!HANDLED.has(event.type)) return { received: true, ignored: event.type };
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
  });
  if (result === "applied" && contribution) deps.onSettled?.(contribution.campaignId);
  return { received: true, result };
}
