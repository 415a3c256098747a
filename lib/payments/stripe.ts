import Stripe from "stripe";
import { fromProviderAmount, fromProviderAmountRounded, toProviderAmount } from "@/lib/money/currency";
import type {
  CreatePaymentInput,
  CreateRefundInput,
  NextAction,
  PaymentProvider,
  PaymentStatus,
  ProviderDispute,
  ProviderPayment,
  ProviderRefund,
  RefundStatus,
} from "./provider";
import { ProviderUnavailableError, unmadePaymentId } from "./provider";

/** Stripe's PaymentIntent states mapped onto ours (PaymentStatus). */
export function statusOf(pi: Pick<Stripe.PaymentIntent, "status">): PaymentStatus {
  switch (pi.status) {
    case "succeeded":
      return "succeeded";
    case "requires_action":
      return "requires_action";
    case "requires_payment_method":
    case "canceled":
      return "failed";
    default: // processing, requires_confirmation, requires_capture
      return "pending";
  }
}

/**
 * Stripe's next_action as ours, for the actions a payer completes at once: a redirect (3-D Secure page, a bank's
 * page) or one only Stripe.js performs (3-D Secure in a modal). Others — a voucher to pay at a shop (OXXO,
 * Boleto, Konbini), bank transfer instructions — take days: undefined, and reconciliation never cancels those.
 */
function nextActionOf(pi: Stripe.PaymentIntent): NextAction | undefined {
  if (pi.status !== "requires_action") return undefined;
  const url = pi.next_action?.redirect_to_url?.url;
  if (pi.next_action?.type === "redirect_to_url" && url) return { type: "redirect_to_url", redirectToUrl: url };
  if (pi.next_action?.type === "use_stripe_sdk") return { type: "use_stripe_sdk" };
  return undefined;
}

/** Why a canceled PaymentIntent failed, when Stripe says (cancellation_reason, e.g. abandoned). */
const canceledBecause = (pi: Stripe.PaymentIntent) =>
  pi.status === "canceled"
    ? { failureCode: pi.cancellation_reason ?? "canceled", failureMessage: "The payment was canceled before it completed." }
    : {};

/**
 * A Stripe PaymentIntent as our ProviderPayment: status folded (statusOf), the decline or cancellation reason as
 * failureCode, and the client secret and next action the payer needs when it requires action. The amount is
 * converted from Stripe's units to the app's minor units (`fromProviderAmount`; throws CurrencyUnitError for an
 * amount with no exact app equivalent), currency upper case.
 */
export function fromIntent(pi: Stripe.PaymentIntent): ProviderPayment {
  const err = pi.last_payment_error;
  const nextAction = nextActionOf(pi);
  return {
    id: pi.id,
    status: statusOf(pi),
    amount: fromProviderAmount(pi.amount, pi.currency.toUpperCase()),
    currency: pi.currency.toUpperCase(),
    contributionId: pi.metadata?.contribution_id,
    failureCode: err ? (err.decline_code ?? err.code ?? "payment_failed") : undefined,
    failureMessage: err?.message,
    ...canceledBecause(pi),
    ...(pi.client_secret ? { clientSecret: pi.client_secret } : {}),
    ...(nextAction ? { nextAction } : {}),
  };
}

/**
 * The fields of a Stripe Refund that `fromRefund` reads: a `Stripe.Refund` (API answer or event payload) fits,
 * and so does the sandbox's Refund JSON (lib/payments/sandbox.ts).
 */
export interface RefundLike {
  id: string;
  amount: number;
  /** Lower case, as Stripe sends it. */
  currency: string;
  status: string | null;
  payment_intent: string | { id: string } | null;
  metadata: Record<string, string> | null;
  failure_reason?: string | null;
}

/** Stripe's Refund states folded onto ours: requires_action and pending are pending, canceled and failed are failed. */
export function refundStatusOf(status: string | null): RefundStatus {
  switch (status) {
    case "succeeded":
      return "succeeded";
    case "failed":
    case "canceled":
      return "failed";
    default: // pending, requires_action (and null, which Stripe sends for a refund still being created)
      return "pending";
  }
}

const idOf = (v: string | { id: string } | null | undefined): string | undefined => (typeof v === "string" ? v : v?.id);

/**
 * A Stripe Refund (re_…; amount in Stripe's units, currency lower case) as our ProviderRefund (amount in the app's
 * minor units via `fromProviderAmount`, currency upper case). `refundId` is our refund's ID from
 * `metadata.refund_id`, absent for a refund made in the dashboard; `failureCode` is Stripe's `failure_reason` (e.g.
 * expired_or_canceled_card). Throws only CurrencyUnitError (an amount with no exact app equivalent, or a currency
 * that cannot be charged); a refund without a PaymentIntent (a charge-only refund, never one of ours) gets
 * `paymentId: ""`.
 */
export function fromRefund(r: RefundLike): ProviderRefund {
  const status = refundStatusOf(r.status);
  const refundId = r.metadata?.refund_id;
  return {
    id: r.id,
    paymentId: idOf(r.payment_intent) ?? "",
    amount: fromProviderAmount(r.amount, r.currency.toUpperCase()),
    currency: r.currency.toUpperCase(),
    status,
    ...(refundId ? { refundId } : {}),
    ...(status === "failed" && r.failure_reason ? { failureCode: r.failure_reason } : {}),
  };
}

/** The fields of a Stripe Dispute that `fromDispute` reads: a `Stripe.Dispute` fits, and so does the sandbox's JSON. */
export interface DisputeLike {
  id: string;
  amount: number;
  /** Lower case, as Stripe sends it. */
  currency: string;
  status: string;
  reason?: string | null;
  payment_intent: string | { id: string } | null;
  /** The money movements of the dispute: the withdrawal (amount < 0, with the dispute fee) and any reinstatement. */
  balance_transactions?: ReadonlyArray<{ amount: number; fee: number }> | null;
}

/**
 * A Stripe Dispute (dp_…; amounts in Stripe's units) as our ProviderDispute (amounts in the app's minor units,
 * currency upper case). `fee` is the dispute fee Stripe charged: the sum of the fees of its withdrawing balance
 * transactions (amount < 0), in the dispute's currency, rounded to the app's minor unit (Stripe computes it; we only
 * record it); 0 before the funds are withdrawn. Throws only CurrencyUnitError (an `amount` with no exact app
 * equivalent); a dispute without a PaymentIntent (a charge-only payment, never one of ours) gets `paymentId: ""`.
 */
export function fromDispute(d: DisputeLike): ProviderDispute {
  const fee = (d.balance_transactions ?? []).filter((t) => t.amount < 0).reduce((sum, t) => sum + t.fee, 0);
  const currency = d.currency.toUpperCase();
  return {
    id: d.id,
    paymentId: idOf(d.payment_intent) ?? "",
    amount: fromProviderAmount(d.amount, currency),
    currency: d.currency.toUpperCase(),
    status: d.status,
    ...(d.reason ? { reason: d.reason } : {}),
    fee: fromProviderAmountRounded(fee, currency),
  };
}

/**
 * Whether a Stripe error is the provider refusing the request for its content (an answer: the caller must not
 * retry it as is), as opposed to an outage, a rate limit, bad credentials or an idempotency conflict, which are
 * not the payer's fault and which the caller retries.
 */
function isRefusal(err: unknown): err is Stripe.errors.StripeInvalidRequestError {
  const retryable =
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError ||
    err instanceof Stripe.errors.StripeIdempotencyError;
  return err instanceof Stripe.errors.StripeInvalidRequestError && !retryable && (err.statusCode ?? 500) < 500;
}

/**
 * The metadata a refund carries at the provider (both adapters): our refund and contribution IDs, and the free-text
 * reason when there is one, cut to Stripe's 500-character limit for a metadata value.
 */
export function refundMetadata(input: Pick<CreateRefundInput, "refundId" | "contributionId" | "reason">): Record<string, string> {
  return {
    refund_id: input.refundId,
    contribution_id: input.contributionId,
    ...(input.reason ? { reason: input.reason.slice(0, 500) } : {}),
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
    async cardFingerprint(paymentMethod: string) {
      try {
        const pm = await stripe.paymentMethods.retrieve(paymentMethod);
        return pm.card?.fingerprint ?? undefined;
      } catch {
        return undefined; // not a PaymentMethod we can read, or Stripe unreachable: the create call will tell
      }
    },
    async createPayment(input: CreatePaymentInput) {
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: toProviderAmount(input.amount, input.currency),
            currency: input.currency.toLowerCase(),
            payment_method: input.paymentMethod,
            confirm: true,
            // Every method the account enables (cards, wallets, Link; redirect-based ones too): one that needs the
            // payer (3-D Secure) answers requires_action with a next_action, and the payer comes back to return_url.
            automatic_payment_methods: { enabled: true },
            return_url: input.returnUrl,
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
        if (isRefusal(err)) {
          return {
            id: unmadePaymentId(input.contributionId),
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
    async findPayment(contributionId: string) {
      try {
        // Stripe's Search API (metadata is searchable; results may lag a minute behind, which the callers allow).
        const found = await stripe.paymentIntents.search({ query: `metadata['contribution_id']:'${contributionId}'`, limit: 1 });
        const pi = found.data[0];
        return pi ? fromIntent(pi) : undefined;
      } catch (err) {
        throw new ProviderUnavailableError("Stripe could not be reached", { cause: err });
      }
    },
    async cancelPayment(id: string) {
      try {
        return fromIntent(await stripe.paymentIntents.cancel(id, { cancellation_reason: "abandoned" }));
      } catch (err) {
        // Settled meanwhile (Stripe refuses to cancel a succeeded or canceled PaymentIntent): its state is the answer.
        if (isRefusal(err)) return this.retrievePayment(id);
        throw new ProviderUnavailableError("Stripe could not be reached", { cause: err });
      }
    },
    async createRefund(input: CreateRefundInput) {
      try {
        const refund = await stripe.refunds.create(
          {
            payment_intent: input.paymentId,
            amount: toProviderAmount(input.amount, input.currency),
            // Stripe's enum has no room for our free text: that goes in the metadata.
            reason: "requested_by_customer",
            metadata: refundMetadata(input),
          },
          { idempotencyKey: input.idempotencyKey },
        );
        return fromRefund(refund);
      } catch (err) {
        // charge_already_refunded, amount_too_large, charge_disputed, an unknown PaymentIntent …: nothing was made.
        if (isRefusal(err)) {
          return {
            id: null,
            paymentId: input.paymentId,
            amount: input.amount,
            currency: input.currency.toUpperCase(),
            status: "failed",
            refundId: input.refundId,
            failureCode: err.code ?? err.type,
            failureMessage: err.message,
          };
        }
        throw new ProviderUnavailableError("Stripe could not be reached", { cause: err });
      }
    },
    async listRefunds(paymentId: string) {
      try {
        const out: ProviderRefund[] = [];
        for await (const r of stripe.refunds.list({ payment_intent: paymentId, limit: 100 })) out.push(fromRefund(r));
        return out;
      } catch (err) {
        throw new ProviderUnavailableError("Stripe could not be reached", { cause: err });
      }
    },
  };
}
