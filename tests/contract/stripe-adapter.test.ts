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
  refundIdempotencyKey,
} from "@/lib/payments/provider";
import { fromDispute, fromRefund, stripeClient, stripeProvider } from "@/lib/payments/stripe";
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
    returnUrl: `http://localhost:3000/campaigns/camp-42?contribution=${contributionId}`,
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
      automatic_payment_methods: { enabled: "true" },
      return_url: input.returnUrl,
    });
  });

  it("a card that needs 3-D Secure answers requires_action with the client secret and Stripe's next action", async () => {
    const input = payment("pm_card_authenticationRequired");
    const result = await provider.createPayment(input);
    expect(result).toMatchObject({ status: "requires_action", clientSecret: expect.stringMatching(/^pi_.+_secret_/) });
    expect(result.nextAction).toEqual({ type: "redirect_to_url", redirectToUrl: expect.stringContaining("/3ds/authenticate/") });
    expect(await provider.retrievePayment(result.id)).toMatchObject({ status: "requires_action" });
    fake.authenticate(result.id, "complete");
    const done = await provider.retrievePayment(result.id);
    expect(done).toMatchObject({ status: "succeeded" });
    expect(done.nextAction).toBeUndefined();
  });

  it("a failed authentication is a failed payment with Stripe's code", async () => {
    const result = await provider.createPayment(payment("pm_card_authenticationRequired"));
    fake.authenticate(result.id, "fail");
    expect(await provider.retrievePayment(result.id)).toMatchObject({
      status: "failed",
      failureCode: "payment_intent_authentication_failure",
    });
  });

  it("cancels an abandoned payment; a succeeded one cannot be canceled and answers its state", async () => {
    const waiting = await provider.createPayment(payment("pm_card_authenticationRequired"));
    expect(await provider.cancelPayment(waiting.id)).toMatchObject({ status: "failed", failureCode: "abandoned" });
    const cancel = fake.requests.find((r) => r.path === `/v1/payment_intents/${waiting.id}/cancel`);
    expect(cancel?.params).toEqual({ cancellation_reason: "abandoned" });
    const paid = await provider.createPayment(payment("pm_card_visa"));
    expect(await provider.cancelPayment(paid.id)).toMatchObject({ status: "succeeded" });
  });

  it("finds the PaymentIntent of a contribution by its metadata (Stripe's Search API), or none", async () => {
    const input = payment("pm_card_visa");
    const made = await provider.createPayment(input);
    expect(await provider.findPayment(input.contributionId)).toMatchObject({ id: made.id, status: "succeeded" });
    expect(await provider.findPayment("no-such-contribution")).toBeUndefined();
    const search = fake.requests.find((r) => r.path === "/v1/payment_intents/search");
    expect(search?.params).toMatchObject({ query: `metadata['contribution_id']:'${input.contributionId}'` });
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
        automatic_payment_methods: { enabled: true },
        return_url: input.returnUrl,
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

describe("stripeProvider refunds through the stripe SDK", () => {
  async function paid(amount = 1500): Promise<string> {
    return (await provider.createPayment(payment("pm_card_visa", { amount }))).id;
  }

  it("creates a refund with what Stripe expects: PaymentIntent, amount, reason enum, our metadata, idempotency key", async () => {
    const pi = await paid();
    const result = await provider.createRefund({
      refundId: "ref-1",
      contributionId: "contrib-x",
      paymentId: pi,
      amount: 500,
      currency: "USD",
      reason: "duplicate pledge",
      idempotencyKey: refundIdempotencyKey("ref-1"),
    });
    expect(result).toEqual({
      id: expect.stringMatching(/^re_/),
      paymentId: pi,
      amount: 500,
      currency: "USD",
      status: "succeeded",
      refundId: "ref-1",
    });
    const req = fake.requests.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/refunds");
    expect(req.headers["idempotency-key"]).toBe("refund-ref-1");
    expect(req.params).toEqual({
      payment_intent: pi,
      amount: "500",
      reason: "requested_by_customer",
      metadata: { refund_id: "ref-1", contribution_id: "contrib-x", reason: "duplicate pledge" },
    });
  });

  it("throws ProviderUnavailableError when Stripe answers 500 on every attempt, and makes nothing", async () => {
    const pi = await paid();
    fake.failNextRequests(10);
    const input = {
      refundId: "ref-2",
      contributionId: "c",
      paymentId: pi,
      amount: 100,
      currency: "USD",
      idempotencyKey: refundIdempotencyKey("ref-2"),
    };
    await expect(provider.createRefund(input)).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(fake.refunds.size).toBe(0);
  });

  it("treats an idempotency conflict as retryable (ProviderUnavailableError), not as a refusal", async () => {
    const pi = await paid();
    const input = { refundId: "ref-3", contributionId: "c", paymentId: pi, amount: 100, currency: "USD", idempotencyKey: "k" };
    await provider.createRefund(input);
    await expect(provider.createRefund({ ...input, amount: 200 })).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(fake.refunds.size).toBe(1);
  });

  it("lists more than one page of refunds (the SDK's auto-pagination)", async () => {
    const pi = await paid(200);
    const stripe = stripeClient("sk_test_123", fake.url);
    for (let i = 0; i < 101; i++) await stripe.refunds.create({ payment_intent: pi, amount: 1 });
    const listed = await provider.listRefunds(pi);
    expect(listed).toHaveLength(101);
    expect(new Set(listed.map((r) => r.id)).size).toBe(101);
    expect(fake.requests.filter((r) => r.method === "GET" && r.path === "/v1/refunds")).toHaveLength(2);
  });

  it.each([
    ["succeeded", "succeeded"],
    ["pending", "pending"],
    ["requires_action", "pending"],
    ["failed", "failed"],
    ["canceled", "failed"],
  ])("maps a Refund's status %s to %s", (status, ours) => {
    const r = { id: "re_1", amount: 5, currency: "eur", status, payment_intent: "pi_1", metadata: {}, failure_reason: null };
    expect(fromRefund(r).status).toBe(ours);
  });

  it("maps a Dispute, counting only the withdrawing balance transactions' fees", () => {
    expect(
      fromDispute({
        id: "dp_1",
        amount: 900,
        currency: "gbp",
        status: "won",
        reason: "fraudulent",
        payment_intent: { id: "pi_9" },
        balance_transactions: [
          { amount: -900, fee: 1500 },
          { amount: 900, fee: 0 },
        ],
      }),
    ).toEqual({ id: "dp_1", paymentId: "pi_9", amount: 900, currency: "GBP", status: "won", reason: "fraudulent", fee: 1500 });
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
