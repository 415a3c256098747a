import Stripe from "stripe";
import type { CreatePaymentInput, PaymentProvider, PaymentStatus, ProviderPayment } from "./provider";
import { ProviderUnavailableError } from "./provider";

/** Stripe's PaymentIntent states mapped onto ours. */
export function statusOf(pi: Pick<Stripe.PaymentIntent, "status">): PaymentStatus {
  switch (pi.status) {
    case "succeeded":
      return "succeeded";
    case "requires_payment_method":
    case "canceled":
      return "failed";
    default: // processing, requires_action, requires_confirmation, requires_capture
      return "pending";
  }
}

export function fromIntent(pi: Stripe.PaymentIntent): ProviderPayment {
  const err = pi.last_payment_error;
  return {
    id: pi.id,
    status: statusOf(pi),
    amount: pi.amount,
    currency: pi.currency.toUpperCase(),
    contributionId: pi.metadata?.contribution_id,
    failureCode: err ? (err.decline_code ?? err.code ?? "payment_failed") : undefined,
    failureMessage: err?.message,
  };
}

/** Open a Stripe client; `apiBase` points it at a local server speaking Stripe's protocol (tests only). */
export function stripeClient(secretKey: string, apiBase?: string): Stripe {
  const opts: Stripe.StripeConfig = { maxNetworkRetries: 2, timeout: 20_000, appInfo: { name: "crowdfund" } };
  if (apiBase) {
    const u = new URL(apiBase);
    Object.assign(opts, {
      host: u.hostname,
      port: Number(u.port || (u.protocol === "https:" ? 443 : 80)),
      protocol: u.protocol.replace(":", ""),
    });
  }
  return new Stripe(secretKey, opts);
}

export function stripeProvider(p: { secretKey: string; webhookSecret: string; apiBase?: string }): PaymentProvider {
  const stripe = stripeClient(p.secretKey, p.apiBase);
  return {
    name: "stripe",
    webhookSecret: p.webhookSecret,
    async createPayment(input: CreatePaymentInput) {
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency.toLowerCase(),
            payment_method: input.paymentMethod,
            confirm: true,
            // No redirect-based methods: the API answers synchronously or via webhook.
            automatic_payment_methods: { enabled: true, allow_redirects: "never" },
            metadata: { contribution_id: input.contributionId, campaign_id: input.campaignId },
          },
          { idempotencyKey: input.idempotencyKey },
        );
        return fromIntent(pi);
      } catch (err) {
        // A declined card is an answer, not an outage: Stripe returns the failed PaymentIntent with it.
        if (err instanceof Stripe.errors.StripeCardError && err.payment_intent) {
          return fromIntent(err.payment_intent as Stripe.PaymentIntent);
        }
        // A request Stripe refused for its own content (e.g. an unknown payment method) is a failed payment.
        // Rate limits, bad credentials and idempotency conflicts are not the payer's fault: the caller retries.
        const retryable =
          err instanceof Stripe.errors.StripeConnectionError ||
          err instanceof Stripe.errors.StripeRateLimitError ||
          err instanceof Stripe.errors.StripeAuthenticationError ||
          err instanceof Stripe.errors.StripePermissionError ||
          err instanceof Stripe.errors.StripeIdempotencyError;
        if (err instanceof Stripe.errors.StripeInvalidRequestError && !retryable && (err.statusCode ?? 500) < 500) {
          return {
            id: `failed-${input.contributionId}`,
            status: "failed",
            amount: input.amount,
            currency: input.currency.toUpperCase(),
            contributionId: input.contributionId,
            failureCode: err.code ?? err.type,
            failureMessage: err.message,
          };
        }
        throw new ProviderUnavailableError("Stripe could not be reached", { cause: err });
      }
    },
    async retrievePayment(id: string) {
      try {
        return fromIntent(await stripe.paymentIntents.retrieve(id));
      } catch (err) {
        throw new ProviderUnavailableError("Stripe could not be reached", { cause: err });
      }
    },
  };
}
