import { brand } from "@/lib/errors";
/**
 * The payment-provider interface (docs/architecture.md, deployment modes): Stripe in production, the
 * sandbox by default. Both speak in Stripe's terms (PaymentIntents, events).
 */
/**
 * Stripe's PaymentIntent states folded onto ours: `requires_action` is Stripe's own (the payer must authenticate,
 * e.g. 3-D Secure, before anything is charged); processing, requires_confirmation and requires_capture are
 * `pending`; requires_payment_method and canceled are `failed`.
 */
export type PaymentStatus = "succeeded" | "pending" | "requires_action" | "failed";

/**
 * What the payer must do for a `requires_action` payment (Stripe's `next_action`): open `redirectToUrl` (3-D
 * Secure page; the payer comes back to the payment's return URL), or let Stripe.js's `handleNextAction` do it.
 */
export type NextAction = { type: "redirect_to_url"; redirectToUrl: string } | { type: "use_stripe_sdk" };

export interface ProviderPayment {
  /** PaymentIntent ID (pi_…). */
  id: string;
  status: PaymentStatus;
  amount: number;
  currency: string; // upper case ISO 4217
  contributionId?: string;
  failureCode?: string;
  failureMessage?: string;
  /** Stripe's client_secret: only the payer may have it (the browser completes authentication with it). */
  clientSecret?: string;
  /** Present when `status` is `requires_action`. */
  nextAction?: NextAction;
}

export interface CreatePaymentInput {
  contributionId: string;
  campaignId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  /** Derived from the contribution ID, so a retried call can never charge twice. */
  idempotencyKey: string;
  /** Absolute URL the payer comes back to after authenticating (Stripe's return_url): the app's public address. */
  returnUrl: string;
}

/** Stripe's Refund states folded onto ours: requires_action is pending, canceled is failed. */
export type RefundStatus = "pending" | "succeeded" | "failed";

/** A refund as the provider reports it (Stripe: a Refund, re_…). Amounts in minor units. */
export interface ProviderRefund {
  /** The provider's refund ID; null when the provider refused the request outright (nothing was made). */
  id: string | null;
  /** The PaymentIntent refunded (pi_…). */
  paymentId: string;
  amount: number;
  currency: string; // upper case ISO 4217
  status: RefundStatus;
  /** Our refund's ID, from the refund's metadata; absent for a refund made at the provider (its dashboard). */
  refundId?: string;
  /** Why it failed (Stripe: failure_reason, or the error code of a refused request). */
  failureCode?: string;
  failureMessage?: string;
}

export interface CreateRefundInput {
  /** Our refund row's ID: sent as metadata.refund_id, so the webhooks name it. */
  refundId: string;
  contributionId: string;
  /** The PaymentIntent to refund (pi_…). */
  paymentId: string;
  amount: number;
  currency: string;
  /** Free text kept with the refund (Stripe metadata; its `reason` enum gets requested_by_customer). */
  reason?: string;
  /** Derived from the refund ID (`refundIdempotencyKey`), so a retried call can never refund twice. */
  idempotencyKey: string;
}

/** A dispute (chargeback) as the provider reports it (Stripe: a Dispute, dp_…). Amounts in minor units. */
export interface ProviderDispute {
  id: string;
  /** The disputed PaymentIntent (pi_…). */
  paymentId: string;
  amount: number;
  currency: string; // upper case ISO 4217
  /** Stripe's dispute status: warning_needs_response, needs_response, under_review, won, lost, warning_closed, … */
  status: string;
  reason?: string;
  /** The dispute fee the provider charged (Stripe: the fees of the dispute's balance transactions). */
  fee: number;
}

export interface PaymentProvider {
  readonly name: "stripe" | "sandbox";
  /** Create and confirm a payment; a declined card is a `failed` payment, not an exception. */
  createPayment(input: CreatePaymentInput): Promise<ProviderPayment>;
  /** A PaymentIntent's current state. Throws ProviderUnavailableError when unreachable or unknown to the provider. */
  retrievePayment(id: string): Promise<ProviderPayment>;
  /**
   * The PaymentIntent made for a contribution (found by its metadata.contribution_id), for a contribution whose
   * create call never got an answer; undefined when none was made. Throws ProviderUnavailableError.
   */
  findPayment(contributionId: string): Promise<ProviderPayment | undefined>;
  /**
   * Cancel a payment left waiting for the payer (requires_action): Stripe's cancel with cancellation_reason
   * `abandoned`. Answers the PaymentIntent as it now is: `failed` once canceled, or its final state when it
   * settled meanwhile (a payment that succeeded cannot be canceled). Throws ProviderUnavailableError.
   */
  cancelPayment(id: string): Promise<ProviderPayment>;
  /**
   * Refund (part of) a succeeded payment. A refund the provider refuses (already refunded, disputed) is a
   * `failed` refund with `id: null`, not an exception. Throws ProviderUnavailableError when unreachable.
   */
  createRefund(input: CreateRefundInput): Promise<ProviderRefund>;
  /** Every refund of a PaymentIntent, as the provider has them (a `charge.refunded` event may not list them). */
  listRefunds(paymentId: string): Promise<ProviderRefund[]>;
  /**
   * The card's fingerprint for a payment method (Stripe: the PaymentMethod's `card.fingerprint`, the same for every
   * PaymentMethod made from one card number), or undefined when it is no card or the provider cannot tell now (never
   * throws): card-testing limits count declines by it (lib/payments/card-testing.ts).
   */
  cardFingerprint(paymentMethod: string): Promise<string | undefined>;
  /** Secret our webhook endpoint verifies this provider's signatures with. */
  readonly webhookSecret: string;
}

/** The provider could not be reached or answered with a server error: the caller may retry. */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProviderUnavailableError";
  }
}
brand(ProviderUnavailableError, "ProviderUnavailableError");

/**
 * The ID of a payment answer for which no PaymentIntent exists (the provider refused the create call, or it never
 * reached the provider): never stored as a contribution's provider payment, so a real PaymentIntent found later
 * settles it (a late success) instead of looking like a second payment.
 */
export const unmadePaymentId = (contributionId: string): string => `failed-${contributionId}`;
export const isUnmadePayment = (paymentId: string): boolean => paymentId.startsWith("failed-");

export function paymentIdempotencyKey(contributionId: string): string {
  return `contribution-${contributionId}`;
}

export function refundIdempotencyKey(refundId: string): string {
  return `refund-${refundId}`;
}
