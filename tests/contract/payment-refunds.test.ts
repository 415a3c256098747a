/**
 * The refund and dispute half of the payment-provider contract (lib/payments/provider.ts), run against both
 * adapters: the sandbox on a fresh migrated PostgreSQL database (its dispatcher delivering to a tiny local
 * HTTP receiver), and Stripe through the REAL `stripe` SDK against tests/support/fake-stripe.ts. The test
 * bodies are shared; what differs per adapter lives in one small fixture each: how the webhook events the
 * provider sends are collected, how Stripe's later doings in test mode happen (a pm_card_refundFail refund
 * failing, a pm_card_createDispute payment being disputed), how a dispute is closed, how a refund is made in
 * the provider's dashboard, how to count the refunds the provider really made, and how it is unreachable.
 *
 * Every event is checked the way our webhook handler will read it: its signature verified by
 * `Stripe.webhooks.constructEvent` with the provider's secret, its data.object read by `fromRefund` /
 * `fromDispute`.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { anyFreePort } from "@/lib/net/ports";
import {
  type CreateRefundInput,
  type PaymentProvider,
  type ProviderDispute,
  type ProviderRefund,
  ProviderUnavailableError,
  paymentIdempotencyKey,
  refundIdempotencyKey,
} from "@/lib/payments/provider";
import {
  closeSandboxDispute,
  SANDBOX_DISPUTE_FEE,
  sandboxDashboardRefund,
  sandboxProvider,
  startSandboxDispatcher,
} from "@/lib/payments/sandbox";
import { type DisputeLike, fromDispute, fromRefund, type RefundLike, stripeClient, stripeProvider } from "@/lib/payments/stripe";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe";
import { waitFor } from "../support/wait";

/** A webhook delivery as it reaches our endpoint: the raw body and its Stripe-Signature header. */
interface Delivery {
  payload: string;
  header: string;
}

interface AdapterFixture {
  name: "sandbox" | "stripe";
  setUp(): Promise<void>;
  /** Before each test: a clean provider state where the adapter needs one. */
  reset(): Promise<void>;
  tearDown(): Promise<void>;
  provider(): PaymentProvider;
  /** The webhook deliveries the provider made so far (sandbox: received; Stripe: the fake's events, signed). */
  deliveries(): Promise<Delivery[]>;
  /** Let the provider's own later step happen: a pm_card_refundFail refund fails. */
  refundFailsLater(refundId: string): Promise<void>;
  /** Let the provider's own later step happen: a pm_card_createDispute payment is disputed. */
  disputeOpensLater(paymentId: string): Promise<void>;
  /** Stand-in for winning or losing the dispute's evidence. Throws for an unknown or closed dispute. */
  closeDispute(disputeId: string, outcome: "won" | "lost"): Promise<void>;
  /** A refund made in the provider's dashboard (no metadata from us). */
  dashboardRefund(paymentId: string, amount?: number): Promise<ProviderRefund>;
  /** Refunds the provider really made for this payment (its own records, not the adapter's word). */
  refundsMade(paymentId: string): Promise<number>;
  /**
   * A provider that cannot be reached, or null when the adapter has no network hop to lose (stated per
   * fixture, by design).
   */
  unreachable: (() => Promise<PaymentProvider>) | null;
}

const SECRET = "whsec_refund_contract_secret";

function sandboxFixture(): AdapterFixture {
  let database: TestDatabase;
  let handle: ReturnType<typeof openDb>;
  let provider: PaymentProvider;
  let stopDispatcher: (() => Promise<void>) | undefined;
  let receiver: http.Server | undefined;
  const received: Delivery[] = [];

  return {
    name: "sandbox",
    async setUp() {
      database = await provisionDatabase("refund_contract");
      handle = openDb(database.url, 4);
      provider = sandboxProvider(handle.db, { webhookSecret: SECRET, pendingMs: 300, disputeMs: 300 });
      // Our webhook endpoint, reduced to recording what arrives.
      receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          received.push({ payload: Buffer.concat(chunks).toString("utf8"), header: String(req.headers["stripe-signature"]) });
          res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
        });
      });
      await new Promise<void>((resolve) => receiver!.listen(0, "127.0.0.1", resolve));
      const { port } = receiver.address() as AddressInfo;
      stopDispatcher = startSandboxDispatcher(handle.db, { url: `http://127.0.0.1:${port}/`, secret: SECRET, intervalMs: 50 });
    },
    async reset() {},
    async tearDown() {
      await stopDispatcher?.();
      await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
      await handle?.sql.end();
      await database?.drop();
    },
    provider: () => provider,
    deliveries: async () => [...received],
    // The sandbox's own dispatcher runs these steps when they fall due (pendingMs / disputeMs): nothing to do.
    async refundFailsLater() {},
    async disputeOpensLater() {},
    async closeDispute(disputeId, outcome) {
      await closeSandboxDispute(handle.db, disputeId, outcome);
    },
    dashboardRefund: (paymentId, amount) => sandboxDashboardRefund(handle.db, paymentId, amount, { pendingMs: 300 }),
    async refundsMade(paymentId) {
      const [row] = await handle.sql`
        select count(*)::int as n from sandbox_refunds where payment_id = ${paymentId} and status <> 'failed'`;
      return row!.n as number;
    },
    // By design: the sandbox is our own database, not a service behind a network hop; there is nothing to make
    // unreachable that would not also take our own database (and this test's assertions) down with it.
    unreachable: null,
  };
}

function stripeFixture(): AdapterFixture {
  let fake: FakeStripe | undefined;
  let provider: PaymentProvider;
  const key = "sk_test_refund_contract";
  const live = () => {
    if (!fake) throw new Error("fake Stripe not started");
    return fake;
  };

  return {
    name: "stripe",
    async setUp() {},
    async reset() {
      await fake?.close();
      fake = await startFakeStripe();
      provider = stripeProvider({ secretKey: key, webhookSecret: SECRET, apiBase: fake.url });
    },
    async tearDown() {
      await fake?.close();
    },
    provider: () => provider,
    async deliveries() {
      // What Stripe would POST to our endpoint: each event, signed with the endpoint's secret.
      return live()
        .events()
        .map((e) => {
          const payload = JSON.stringify(e);
          return { payload, header: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
        });
    },
    async refundFailsLater(refundId) {
      live().failRefund(refundId);
    },
    async disputeOpensLater(paymentId) {
      live().openDispute(paymentId);
    },
    async closeDispute(disputeId, outcome) {
      live().closeDispute(disputeId, outcome);
    },
    async dashboardRefund(paymentId, amount) {
      // The dashboard calls the same API, without our metadata or idempotency key.
      const stripe = stripeClient(key, live().url);
      try {
        return fromRefund(await stripe.refunds.create({ payment_intent: paymentId, ...(amount ? { amount } : {}) }));
      } catch (err) {
        // The dashboard shows Stripe's refusal; as the sandbox's, a failed refund with no ID.
        if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
        return { id: null, paymentId, amount: amount ?? 0, currency: "USD", status: "failed", failureCode: err.code };
      }
    },
    async refundsMade(paymentId) {
      return [...live().refunds.values()].filter((r) => r.payment_intent === paymentId && r.status !== "failed").length;
    },
    unreachable: async () =>
      stripeProvider({ secretKey: key, webhookSecret: SECRET, apiBase: `http://127.0.0.1:${await anyFreePort()}` }),
  };
}

/** The object IDs an event concerns: a PaymentIntent's own ID, or the payment_intent of a refund, charge or dispute. */
function paymentOf(object: Record<string, unknown>): unknown {
  return object.object === "payment_intent" ? object.id : object.payment_intent;
}

describe.each([sandboxFixture(), stripeFixture()])("payment refunds contract: $name", (fx) => {
  const p = () => fx.provider();

  beforeAll(() => fx.setUp(), 120_000);
  afterAll(() => fx.tearDown());
  beforeEach(() => fx.reset());

  /** A payment of `amount` minor units (USD) with a test payment method; returns its PaymentIntent ID. */
  async function pay(paymentMethod = "pm_card_visa", amount = 2500): Promise<string> {
    const contributionId = randomUUID();
    const payment = await p().createPayment({
      contributionId,
      campaignId: randomUUID(),
      amount,
      currency: "USD",
      paymentMethod,
      idempotencyKey: paymentIdempotencyKey(contributionId),
      returnUrl: "http://localhost:3000/",
    });
    expect(payment.id).toMatch(/^pi_/);
    return payment.id;
  }

  function refund(paymentId: string, amount: number, over: Partial<CreateRefundInput> = {}): CreateRefundInput {
    const refundId = over.refundId ?? randomUUID();
    return {
      refundId,
      contributionId: randomUUID(),
      paymentId,
      amount,
      currency: "USD",
      reason: "campaign cancelled",
      idempotencyKey: refundIdempotencyKey(refundId),
      ...over,
    };
  }

  /** The verified events about this payment delivered so far, oldest first. */
  async function eventsOf(paymentId: string): Promise<Stripe.Event[]> {
    return (await fx.deliveries())
      .map((d) => Stripe.webhooks.constructEvent(d.payload, d.header, SECRET))
      .filter((e) => paymentOf(e.data.object as unknown as Record<string, unknown>) === paymentId);
  }

  /** Wait until the events of `types` about this payment were delivered; returns them, in delivery order. */
  async function waitForEvents(paymentId: string, types: string[]): Promise<Stripe.Event[]> {
    const done = (evs: Stripe.Event[]) => types.every((t) => evs.some((e) => e.type === t));
    const evs = await waitFor(() => eventsOf(paymentId), done, 15_000, 50);
    expect(evs.map((e) => e.type)).toEqual(expect.arrayContaining(types));
    return evs.filter((e) => types.includes(e.type));
  }

  const refundIn = (e: Stripe.Event) => fromRefund(e.data.object as unknown as RefundLike);
  const disputeIn = (e: Stripe.Event) => fromDispute(e.data.object as unknown as DisputeLike);
  const chargeIn = (e: Stripe.Event) => e.data.object as Stripe.Charge;
  const byId = (a: ProviderRefund, b: ProviderRefund) => (a.id ?? "").localeCompare(b.id ?? "");

  it("refunds a payment in full, and sends refund.created and charge.refunded", async () => {
    const pi = await pay();
    const input = refund(pi, 2500);
    const result = await p().createRefund(input);
    expect(result).toEqual({
      id: expect.stringMatching(/^re_/),
      paymentId: pi,
      amount: 2500,
      currency: "USD",
      status: "succeeded",
      refundId: input.refundId,
    });
    expect(await fx.refundsMade(pi)).toBe(1);

    const [created, refunded] = await waitForEvents(pi, ["refund.created", "charge.refunded"]);
    expect(refundIn(created!)).toEqual(result);
    const refundObject = created!.data.object as Stripe.Refund;
    expect(refundObject).toMatchObject({
      object: "refund",
      currency: "usd",
      reason: "requested_by_customer",
      metadata: { refund_id: input.refundId, contribution_id: input.contributionId, reason: "campaign cancelled" },
    });
    const charge = chargeIn(refunded!);
    expect(charge).toMatchObject({
      id: refundObject.charge,
      object: "charge",
      payment_intent: pi,
      amount: 2500,
      amount_refunded: 2500,
      refunded: true,
      currency: "usd",
    });
    expect(charge.id).toMatch(/^ch_/);
    expect(charge.refunds?.data.map((r) => fromRefund(r))).toEqual([result]);
  });

  it("makes partial refunds that add up, then refuses one more as already refunded", async () => {
    const pi = await pay();
    const first = await p().createRefund(refund(pi, 1000));
    const second = await p().createRefund(refund(pi, 1500));
    expect([first.status, second.status]).toEqual(["succeeded", "succeeded"]);
    expect(first.id).not.toBe(second.id);
    expect(await fx.refundsMade(pi)).toBe(2);

    const evs = await waitFor(
      () => eventsOf(pi),
      (e) => e.filter((x) => x.type === "charge.refunded").length === 2,
      15_000,
      50,
    );
    const charges = evs.filter((e) => e.type === "charge.refunded").map(chargeIn);
    expect(charges.map((c) => [c.amount_refunded, c.refunded, c.refunds?.data.length])).toEqual([
      [1000, false, 1],
      [2500, true, 2],
    ]);

    const more = await p().createRefund(refund(pi, 1));
    expect(more).toMatchObject({ id: null, status: "failed", failureCode: "charge_already_refunded" });
    expect(await fx.refundsMade(pi)).toBe(2);
  });

  it("refuses to refund more than remains: a failed refund with no ID, and nothing made", async () => {
    const pi = await pay();
    await p().createRefund(refund(pi, 1000));
    const input = refund(pi, 2000);
    const over = await p().createRefund(input);
    expect(over).toMatchObject({
      id: null,
      paymentId: pi,
      amount: 2000,
      currency: "USD",
      status: "failed",
      failureCode: "amount_too_large",
      failureMessage: expect.any(String),
    });
    expect(await fx.refundsMade(pi)).toBe(1);
    expect((await p().listRefunds(pi)).map((r) => r.amount)).toEqual([1000]);
  });

  it("refuses to refund a payment that did not succeed", async () => {
    const pi = await pay("pm_card_chargeDeclined");
    const result = await p().createRefund(refund(pi, 2500));
    expect(result).toMatchObject({
      id: null,
      paymentId: pi,
      status: "failed",
      failureCode: "payment_intent_unexpected_state",
      failureMessage: expect.any(String),
    });
    expect(await fx.refundsMade(pi)).toBe(0);
  });

  it("makes one refund however often it is asked with the same key, answering with the same refund", async () => {
    const pi = await pay();
    const input = refund(pi, 800);
    const first = await p().createRefund(input);
    const again = await p().createRefund(input);
    expect(first.status).toBe("succeeded");
    expect(again).toEqual(first);
    expect(await fx.refundsMade(pi)).toBe(1);
  });

  // Declared only for adapters with a network hop to lose (the sandbox has none): not a skipped test.
  const unreachable = fx.unreachable;
  if (unreachable)
    it("throws ProviderUnavailableError when the provider cannot be reached", async () => {
      const pi = await pay();
      const offline = await unreachable();
      await expect(offline.createRefund(refund(pi, 500))).rejects.toBeInstanceOf(ProviderUnavailableError);
      await expect(offline.listRefunds(pi)).rejects.toBeInstanceOf(ProviderUnavailableError);
      expect(await fx.refundsMade(pi)).toBe(0);
    });

  it("lists every refund of a payment, and only its own", async () => {
    const pi = await pay();
    const other = await pay();
    const a = await p().createRefund(refund(pi, 500));
    const b = await p().createRefund(refund(pi, 700));
    await p().createRefund(refund(other, 300));
    expect((await p().listRefunds(pi)).sort(byId)).toEqual([a, b].sort(byId));
    expect(await p().listRefunds(await pay())).toEqual([]);
  });

  it("a pm_card_refundFail refund is answered succeeded, then fails: refund.failed and charge.refund.updated", async () => {
    const pi = await pay("pm_card_refundFail");
    const input = refund(pi, 2500);
    const answered = await p().createRefund(input);
    expect(answered).toMatchObject({ id: expect.stringMatching(/^re_/), status: "succeeded", refundId: input.refundId });

    await fx.refundFailsLater(answered.id!);
    const evs = await waitForEvents(pi, ["refund.failed", "charge.refund.updated"]);
    const failed = { ...answered, status: "failed", failureCode: "expired_or_canceled_card" };
    expect(evs.map(refundIn)).toEqual([failed, failed]);
    expect(await p().listRefunds(pi)).toEqual([failed]);

    // A failed refund gives nothing back: the whole amount can be refunded again.
    expect(await fx.refundsMade(pi)).toBe(0);
    expect((await p().createRefund(refund(pi, 2500))).status).toBe("succeeded");
  });

  async function disputed(): Promise<{ pi: string; dispute: ProviderDispute }> {
    const pi = await pay("pm_card_createDispute", 4200);
    await fx.disputeOpensLater(pi);
    const [created, withdrawn] = await waitForEvents(pi, ["charge.dispute.created", "charge.dispute.funds_withdrawn"]);
    const expected = {
      id: expect.stringMatching(/^dp_/),
      paymentId: pi,
      amount: 4200,
      currency: "USD",
      status: "needs_response",
      reason: "fraudulent",
      fee: SANDBOX_DISPUTE_FEE,
    };
    expect(disputeIn(created!)).toEqual(expected);
    expect(disputeIn(withdrawn!)).toEqual(expected);
    expect((withdrawn!.data.object as Stripe.Dispute).balance_transactions).toEqual([
      expect.objectContaining({ amount: -4200, fee: 1500, reporting_category: "dispute" }),
    ]);
    return { pi, dispute: disputeIn(withdrawn!) };
  }

  it("a pm_card_createDispute payment is disputed: charge.dispute.created and funds_withdrawn with the fee; no refund then", async () => {
    const { pi } = await disputed();
    const result = await p().createRefund(refund(pi, 1000));
    expect(result).toMatchObject({ id: null, status: "failed", failureCode: "charge_disputed" });
    expect(await fx.refundsMade(pi)).toBe(0);
  });

  it("a dispute won: funds_reinstated (amount back, fee kept) then closed; it cannot be closed twice", async () => {
    const { pi, dispute } = await disputed();
    await fx.closeDispute(dispute.id, "won");
    const evs = await waitForEvents(pi, ["charge.dispute.funds_reinstated", "charge.dispute.closed"]);
    expect(evs.map((e) => e.type)).toEqual(["charge.dispute.funds_reinstated", "charge.dispute.closed"]);
    for (const e of evs) expect(disputeIn(e)).toEqual({ ...dispute, status: "won" });
    expect((evs[0]!.data.object as Stripe.Dispute).balance_transactions).toEqual([
      expect.objectContaining({ amount: -4200, fee: 1500, reporting_category: "dispute" }),
      expect.objectContaining({ amount: 4200, fee: 0, reporting_category: "dispute_reversal" }),
    ]);
    await expect(fx.closeDispute(dispute.id, "lost")).rejects.toThrow(/already/);
    await expect(fx.closeDispute("dp_unknown", "won")).rejects.toThrow(/dp_unknown/);
  });

  it("a dispute lost: closed, with no funds reinstated", async () => {
    const { pi, dispute } = await disputed();
    await fx.closeDispute(dispute.id, "lost");
    const [closed] = await waitForEvents(pi, ["charge.dispute.closed"]);
    expect(disputeIn(closed!)).toEqual({ ...dispute, status: "lost" });
    expect((await eventsOf(pi)).map((e) => e.type)).not.toContain("charge.dispute.funds_reinstated");
  });

  it("a refund made in the provider's dashboard carries no refund_id, and sends the same events", async () => {
    const pi = await pay();
    await p().createRefund(refund(pi, 1000));
    const made = await fx.dashboardRefund(pi, 600);
    expect(made).toEqual({ id: expect.stringMatching(/^re_/), paymentId: pi, amount: 600, currency: "USD", status: "succeeded" });

    const evs = await waitFor(
      () => eventsOf(pi),
      (e) => e.filter((x) => x.type === "charge.refunded").length === 2,
      15_000,
      50,
    );
    const created = evs.filter((e) => e.type === "refund.created").map(refundIn);
    expect(created.find((r) => r.id === made.id)).toEqual(made);
    expect(
      (evs.find((e) => e.type === "refund.created" && refundIn(e).id === made.id)!.data.object as Stripe.Refund).metadata,
    ).toEqual({});
    expect(chargeIn(evs.filter((e) => e.type === "charge.refunded")[1]!).amount_refunded).toBe(1600);
    expect((await p().listRefunds(pi)).find((r) => r.id === made.id)).toEqual(made);

    // Same validation: the rest (900) is all that can still be refunded.
    expect(await fx.dashboardRefund(pi, 901)).toMatchObject({ id: null, status: "failed", failureCode: "amount_too_large" });
  });
});

describe("sandbox: its delayed steps are due rows the dispatcher runs", () => {
  let database: TestDatabase;
  let handle: ReturnType<typeof openDb>;
  let receiver: http.Server;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    database = await provisionDatabase("sandbox_steps");
    handle = openDb(database.url, 4);
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type: string }).type);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => receiver?.close(r));
    await handle?.sql.end();
    await database?.drop();
  });

  it("a dispute due while no dispatcher ran (a restart) opens once one runs, and the step itself is never delivered", async () => {
    const provider = sandboxProvider(handle.db, { webhookSecret: SECRET, pendingMs: 60_000, disputeMs: 300 });
    // A first dispatcher stops before the dispute is due: the process went away.
    const first = startSandboxDispatcher(handle.db, { url, secret: SECRET, intervalMs: 50 });
    const contributionId = randomUUID();
    const payment = await provider.createPayment({
      contributionId,
      campaignId: randomUUID(),
      amount: 3000,
      currency: "EUR",
      paymentMethod: "pm_card_createDispute",
      idempotencyKey: paymentIdempotencyKey(contributionId),
      returnUrl: "http://localhost:3000/",
    });
    expect(payment.status).toBe("succeeded");
    await first();
    const pendingSteps = await handle.sql`
      select type from sandbox_events where payment_id = ${payment.id} and delivered_at is null and type like 'sandbox.%'`;
    expect(pendingSteps.map((r) => r.type)).toEqual(["sandbox.dispute.open"]);
    expect(await handle.sql`select 1 from sandbox_disputes where payment_id = ${payment.id}`).toHaveLength(0);

    // After the "restart", another dispatcher runs the due step.
    const second = startSandboxDispatcher(handle.db, { url, secret: SECRET, intervalMs: 50 });
    try {
      const rows = await waitFor(
        () => handle.sql`select status, reason, fee::int as fee, currency from sandbox_disputes where payment_id = ${payment.id}`,
        (r) => r.length > 0,
      );
      // The fee is Stripe's 1500 minor units whatever the currency.
      expect(rows.map((r) => ({ ...r }))).toEqual([
        { status: "needs_response", reason: "fraudulent", fee: 1500, currency: "EUR" },
      ]);
      await waitFor(
        () => received,
        (r) => r.includes("charge.dispute.funds_withdrawn"),
      );
    } finally {
      await second();
    }
    expect(received.filter((t) => t.startsWith("sandbox."))).toEqual([]);
    expect(received).toEqual(
      expect.arrayContaining(["payment_intent.succeeded", "charge.dispute.created", "charge.dispute.funds_withdrawn"]),
    );
  });
});
