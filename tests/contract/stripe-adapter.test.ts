/**
 * Our Stripe adapter driven through the REAL `stripe` SDK against a local server
 * speaking Stripe's HTTP protocol (tests/support/fake-stripe.ts). Does not use
 * the app server booted by the integration globalSetup.
 */
import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type CreatePaymentInput,
  type PaymentProvider,
  ProviderUnavailableError,
  paymentIdempotencyKey,
} from "@/lib/payments/provider";
import { stripeClient, stripeProvider } from "@/lib/payments/stripe";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe";

let fake: FakeStripe;
let provider: PaymentProvider;
let seq = 0;

beforeEach(async () => {
  fake = await startFakeStripe();
  provider = stripeProvider({ secretKey: "sk_test_123", webhookSecret: "whsec_test", apiBase: fake.url });
});
afterEach(async () => {
  await fake.close();
});

function payment(paymentMethod: string, over: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  const contributionId = over.contributionId ?? `contrib-${++seq}`;
  return {
    contributionId,
    campaignId: "camp-42",
    amount: 1500,
    currency: "USD",
    paymentMethod,
    idempotencyKey: paymentIdempotencyKey(contributionId),
    ...over,
  };
}

describe("stripeProvider through the stripe SDK", () => {
  it("creates and confirms a PaymentIntent with a succeeding card, sending what Stripe expects", async () => {
    const input = payment("pm_card_visa");
    const result = await provider.createPayment(input);
    expect(result).toMatchObject({ status: "succeeded", amount: 1500, currency: "USD", contributionId: input.contributionId });
    expect(result.id).toMatch(/^pi_/);
    expect(result.failureCode).toBeUndefined();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/payment_intents");
    expect(req.headers.authorization).toBe("Bearer sk_test_123");
    expect(req.headers["idempotency-key"]).toBe(paymentIdempotencyKey(input.contributionId));
    expect(req.headers["stripe-version"]).toEqual(expect.any(String));
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(req.params).toEqual({
      amount: "1500",
      currency: "usd",
      confirm: "true",
      payment_method: "pm_card_visa",
      metadata: { contribution_id: input.contributionId, campaign_id: "camp-42" },
      automatic_payment_methods: { enabled: "true", allow_redirects: "never" },
    });
  });

  it("replays the same PaymentIntent for a repeated idempotency key instead of charging twice", async () => {
    const input = payment("pm_card_visa");
    const first = await provider.createPayment(input);
    const second = await provider.createPayment(input);
    expect(second.id).toBe(first.id);
    expect(second.status).toBe("succeeded");
    expect(fake.intents.size).toBe(1);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.map((r) => r.headers["idempotency-key"])).toEqual([input.idempotencyKey, input.idempotencyKey]);

    // Seen from the bare SDK, the replay is marked the way Stripe marks it.
    const replay = await stripeClient("sk_test_123", fake.url).paymentIntents.create(
      {
        amount: 1500,
        currency: "usd",
        payment_method: "pm_card_visa",
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        metadata: { contribution_id: input.contributionId, campaign_id: "camp-42" },
      },
      { idempotencyKey: input.idempotencyKey },
    );
    expect(replay.id).toBe(first.id);
    expect(replay.lastResponse.headers["idempotent-replayed"]).toBe("true");
  });

  it("speaks Stripe's idempotency conflict: same key with different parameters is refused, nothing charged twice", async () => {
    // Through the bare SDK client, so this pins the protocol rather than how the adapter classifies the error.
    const stripe = stripeClient("sk_test_123", fake.url);
    const input = payment("pm_card_visa");
    await provider.createPayment(input);
    const params = { amount: 9900, currency: "usd", payment_method: "pm_card_visa", confirm: true };
    await expect(stripe.paymentIntents.create(params, { idempotencyKey: input.idempotencyKey })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    );
    expect(fake.intents.size).toBe(1);
  });

  it("requires a secret key, answering like Stripe does", async () => {
    const stripe = stripeClient("sk_live_nope", fake.url);
    await expect(stripe.paymentIntents.retrieve("pi_123")).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it.each([
    ["pm_card_chargeDeclined", "generic_decline"],
    ["pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"],
  ])("returns a declined card (%s) as a failed payment with its decline code", async (pm, declineCode) => {
    const input = payment(pm);
    const result = await provider.createPayment(input);
    expect(result).toMatchObject({
      status: "failed",
      failureCode: declineCode,
      amount: 1500,
      currency: "USD",
      contributionId: input.contributionId,
    });
    expect(result.id).toMatch(/^pi_/);
    expect(result.failureMessage).toEqual(expect.any(String));
    // The failed intent exists on Stripe's side and can be looked up.
    expect(await provider.retrievePayment(result.id)).toMatchObject({ status: "failed", failureCode: declineCode });
  });

  it("reports a processing payment as pending, and retrieves it by id", async () => {
    const input = payment("pm_card_pending");
    const result = await provider.createPayment(input);
    expect(result).toMatchObject({ status: "pending", contributionId: input.contributionId });

    const retrieved = await provider.retrievePayment(result.id);
    expect(retrieved).toEqual(result);
    const get = fake.requests.at(-1)!;
    expect(get.method).toBe("GET");
    expect(get.path).toBe(`/v1/payment_intents/${result.id}`);
  });

  it("returns an unknown payment method as a failed payment with Stripe's error code", async () => {
    const input = payment("pm_does_not_exist");
    const result = await provider.createPayment(input);
    expect(result).toMatchObject({ status: "failed", failureCode: "resource_missing", contributionId: input.contributionId });
    expect(result.failureMessage).toContain("No such PaymentMethod");
    expect(fake.intents.size).toBe(0);
  });

  it("throws ProviderUnavailableError when Stripe answers 500 on every attempt (after the SDK's retries)", async () => {
    fake.failNextRequests(10);
    const input = payment("pm_card_visa");
    await expect(provider.createPayment(input)).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(fake.requests).toHaveLength(3); // 1 attempt + maxNetworkRetries (2)
    expect(new Set(fake.requests.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([input.idempotencyKey]));
    expect(fake.intents.size).toBe(0);
  });

  it("recovers from a single transient 500 through the SDK's retry, with the same Idempotency-Key", async () => {
    fake.failNextRequests(1);
    const input = payment("pm_card_visa");
    const result = await provider.createPayment(input);
    expect(result.status).toBe("succeeded");
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.headers["idempotency-key"]).toBe(input.idempotencyKey);
    expect(fake.requests[1]!.headers["idempotency-key"]).toBe(input.idempotencyKey);
    expect(fake.requests[1]!.params).toEqual(fake.requests[0]!.params);
    expect(fake.intents.size).toBe(1);
  });

  it("throws ProviderUnavailableError when Stripe cannot be reached at all", async () => {
    await fake.close();
    const offline = stripeProvider({ secretKey: "sk_test_123", webhookSecret: "whsec_test", apiBase: fake.url });
    await expect(offline.createPayment(payment("pm_card_visa"))).rejects.toBeInstanceOf(ProviderUnavailableError);
    fake = await startFakeStripe(); // for afterEach
  });
});

describe("webhook signatures through the stripe SDK", () => {
  const secret = "whsec_test";
  const payload = JSON.stringify({
    id: "evt_1",
    object: "event",
    type: "payment_intent.succeeded",
    data: { object: { id: "pi_1" } },
  });
  const stripe = new Stripe("sk_test_x");

  it("verifies a correctly signed payload", () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const event = stripe.webhooks.constructEvent(payload, header, secret);
    expect(event).toMatchObject({ id: "evt_1", type: "payment_intent.succeeded" });
  });

  it("rejects a signature made with another secret", () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_other" });
    expect(() => stripe.webhooks.constructEvent(payload, header, secret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it("rejects a tampered payload", () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect(() => stripe.webhooks.constructEvent(payload.replace("pi_1", "pi_2"), header, secret)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it("rejects a timestamp older than the 300 s tolerance", () => {
    const timestamp = Math.floor(Date.now() / 1000) - 301;
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
    expect(() => stripe.webhooks.constructEvent(payload, header, secret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => stripe.webhooks.constructEvent(payload, header, secret)).toThrow(/tolerance/);
  });
});
