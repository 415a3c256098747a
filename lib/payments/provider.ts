import { brand } from "@/lib/errors";
/**
 * The payment-provider interface (docs/architecture.md, deployment modes): Stripe in production, the
 * sandbox by default. Both speak in Stripe's terms (PaymentIntents, events).
 */
export type PaymentStatus = "succeeded" | "pending" | "failed";

export interface ProviderPayment {
  /** PaymentIntent ID (pi_…). */
  id: string;
  status: PaymentStatus;
  amount: number;
  currency: string; // upper case ISO 4217
  contributionId?: string;
  failureCode?: string;
  failureMessage?: string;
}

export interface CreatePaymentInput {
  contributionId: string;
  campaignId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  /** Derived from the contribution ID, so a retried call can never charge twice. */
  idempotencyKey: string;
}

export interface PaymentProvider {
  readonly name: "stripe" | "sandbox";
  /** Create and confirm a payment; a declined card is a `failed` payment, not an exception. */
  createPayment(input: CreatePaymentInput): Promise<ProviderPayment>;
  retrievePayment(id: string): Promise<ProviderPayment>;
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
 * Stripe's minimum charge amounts (docs: "Minimum and maximum charge amounts"),
 * in minor units. Currencies not listed: the equivalent of about 0.50 USD is
 * unknown to us offline, so we require 50 minor units (1 unit for zero-decimal currencies … 50).
 */
const STRIPE_MINIMUMS: Record<string, number> = {
  USD: 50,
  EUR: 50,
  GBP: 30,
  CAD: 50,
  AUD: 50,
  NZD: 50,
  CHF: 50,
  SGD: 50,
  HKD: 400,
  JPY: 50,
  MXN: 1000,
  BRL: 50,
  INR: 50,
  SEK: 300,
  NOK: 300,
  DKK: 250,
  PLN: 200,
  CZK: 1500,
  HUF: 17500,
  RON: 200,
  BGN: 100,
  THB: 1000,
  MYR: 200,
  AED: 200,
};

export function minimumAmount(currency: string): number {
  return STRIPE_MINIMUMS[currency] ?? 50;
}

export function paymentIdempotencyKey(contributionId: string): string {
  return `contribution-${contributionId}`;
}
