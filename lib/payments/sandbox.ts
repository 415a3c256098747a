import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { and, asc, desc, eq, inArray, isNull, lte, ne, sql } from "drizzle-orm";
import pLimit from "p-limit";
import Stripe from "stripe";
import type { Db } from "@/db/client";
import { sandboxDisputes, sandboxEvents, sandboxPayments, sandboxRefunds } from "@/db/schema";
import { pauser } from "@/lib/app/pauser";
import { equalSecrets } from "@/lib/auth/equal-secrets";
import { isDatabaseUnavailable } from "@/lib/errors";
import { fromProviderAmount, toProviderAmount } from "@/lib/money/currency";
import {
  type CreatePaymentInput,
  type CreateRefundInput,
  type PaymentProvider,
  type ProviderDispute,
  type ProviderPayment,
  type ProviderRefund,
  ProviderUnavailableError,
} from "./provider";
import { fromDispute, fromRefund, refundMetadata } from "./stripe";

/**
 * The sandbox provider: behaves like Stripe in test mode, with Stripe's test
 * payment methods, and delivers Stripe-shaped events signed exactly like Stripe
 * (the SDK's own signing) to our webhook endpoint — so the sandbox exercises the
 * same webhook code path as real Stripe. Its state lives in PostgreSQL
 * (sandbox_payments, sandbox_events), so deliveries survive restarts.
 *
 * Units: like Stripe, the sandbox keeps and sends amounts in Stripe's units (lib/money/currency.ts: HUF 20,000 Ft is
 * 2000000, where the app stores 20000). It converts where it takes the app's amounts (createPayment, createRefund,
 * sandboxDashboardRefund) and where it answers the app (ProviderPayment, ProviderRefund, ProviderDispute, through
 * the same `fromRefund`/`fromDispute` as Stripe's JSON); its rows and its webhook JSON (intentJson, refundJson,
 * chargeJson, disputeJson) are in Stripe's units, so the webhook handler reads both providers' events alike.
 */
export const SANDBOX_METHODS = {
  pm_card_visa: { label: "Visa — succeeds", outcome: "succeeded" },
  pm_card_mastercard: { label: "Mastercard — succeeds", outcome: "succeeded" },
  pm_card_chargeDeclined: {
    label: "Declined card",
    outcome: "failed",
    code: "generic_decline",
    message: "Your card was declined.",
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    label: "Insufficient funds",
    outcome: "failed",
    code: "insufficient_funds",
    message: "Your card has insufficient funds.",
  },
  /**
   * Stripe's 3-D Secure card (4000 0027 6000 3184): the payment answers requires_action and the payer must
   * authenticate on the sandbox's page (/sandbox/authenticate), which completes or fails it as they choose.
   */
  pm_card_authenticationRequired: { label: "3-D Secure card — asks you to authenticate", outcome: "requires_action" },
  /** Our choice for "stays pending, succeeds a few seconds later" (like a bank debit that is processing). */
  pm_card_processing: { label: "Slow bank — pending, then succeeds", outcome: "pending" },
  /** Stripe's: the payment succeeds; a refund is answered `succeeded`, then fails a while later (pendingMs). */
  pm_card_refundFail: { label: "Visa — succeeds, but its refunds fail later", outcome: "succeeded", refundsFail: true },
  /** Stripe's: the payment succeeds, then a dispute (chargeback, reason fraudulent) is opened a few seconds later. */
  pm_card_createDispute: { label: "Visa — succeeds, then is disputed (chargeback)", outcome: "succeeded", disputed: true },
} as const;

type Method = keyof typeof SANDBOX_METHODS;
const isMethod = (m: string): m is Method => m in SANDBOX_METHODS;

/**
 * The sandbox's card fingerprint of a payment method: like Stripe's, the same every time for one test card (the
 * sandbox's test cards are their PaymentMethod IDs), and different for different cards. 16 characters, as Stripe's.
 */
export function sandboxCardFingerprint(paymentMethod: string): string {
  return createHmac("sha256", "sandbox-card-fingerprint").update(paymentMethod).digest("base64url").slice(0, 16);
}

export const newId = (prefix: string): string => `${prefix}_sb_${randomBytes(12).toString("base64url")}`;

/** The sandbox's signing secret: configured, or derived from the app secret so every instance agrees. */
export function sandboxWebhookSecret(configured: string | undefined, appSecret: string): string {
  return configured ?? `whsec_${createHmac("sha256", appSecret).update("sandbox-webhook").digest("base64url")}`;
}

type Row = typeof sandboxPayments.$inferSelect;
type RefundRow = typeof sandboxRefunds.$inferSelect;
type DisputeRow = typeof sandboxDisputes.$inferSelect;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Steps the sandbox takes later on its own side, as Stripe's clock does in test mode (a pm_card_refundFail refund
 * failing, a pm_card_createDispute payment being disputed). They are stored as sandbox_events rows of a type
 * starting with `sandbox.` (never a Stripe event type), due at `deliver_after`: the dispatcher runs them instead
 * of delivering them. So they share the events' durability (a restart loses nothing: the due row stays), their
 * claiming across instances (SKIP LOCKED) and their retry with back-off, and need no table of their own. A step's
 * parameters are in the row's `object`. A timer in the request would be lost with the process.
 */
const STEP_PREFIX = "sandbox.";
/** How many due rows one dispatcher tick claims, and how many payments' webhooks it sends at once. */
const BATCH = 100;
const DELIVERY_CONCURRENCY = 8;
const FAIL_REFUND = "sandbox.refund.fail";
const OPEN_DISPUTE = "sandbox.dispute.open";

/**
 * Stripe's dispute fee ($15.00). The sandbox charges 1500 of Stripe's units whatever the dispute's currency: we have
 * no offline table of Stripe's per-country dispute fees, and a fixed amount is easy to assert on.
 */
export const SANDBOX_DISPUTE_FEE = 1500;

/** Stripe's Refund reason for our refunds (our free text goes in metadata.reason). */
const REFUND_REASON = "requested_by_customer";

/**
 * The sandbox's own PaymentIntent states (sandbox_payments.status), Stripe's names: processing, requires_action,
 * succeeded, failed (Stripe: requires_payment_method after a decline) and canceled (abandoned by the payer).
 */
const STATUS_OF: Record<string, ProviderPayment["status"]> = {
  succeeded: "succeeded",
  failed: "failed",
  canceled: "failed",
  requires_action: "requires_action",
  processing: "pending",
};

/** The page of the sandbox where the payer authenticates (3-D Secure), on the app's public origin (the return URL's). */
export function sandboxAuthenticationUrl(r: Pick<Row, "id" | "clientSecret" | "returnUrl">): string {
  const u = new URL("/sandbox/authenticate", r.returnUrl ?? "http://localhost");
  u.searchParams.set("payment_intent", r.id);
  u.searchParams.set("client_secret", r.clientSecret ?? "");
  return u.toString();
}

/** A stored PaymentIntent (Stripe's units) as the app's ProviderPayment (app minor units). */
function toPayment(r: Row): ProviderPayment {
  const status = STATUS_OF[r.status] ?? "pending";
  return {
    id: r.id,
    status,
    amount: fromProviderAmount(r.amount, r.currency),
    currency: r.currency,
    contributionId: (r.metadata as Record<string, string>).contribution_id,
    failureCode: r.failureCode ?? undefined,
    failureMessage: r.failureMessage ?? undefined,
    ...(r.clientSecret ? { clientSecret: r.clientSecret } : {}),
    ...(status === "requires_action"
      ? { nextAction: { type: "redirect_to_url" as const, redirectToUrl: sandboxAuthenticationUrl(r) } }
      : {}),
  };
}

/** The PaymentIntent JSON Stripe would put in an event's data.object. */
function intentJson(r: Row) {
  const status = r.status === "failed" ? "requires_payment_method" : r.status;
  return {
    id: r.id,
    object: "payment_intent",
    amount: r.amount,
    amount_received: r.status === "succeeded" ? r.amount : 0,
    currency: r.currency.toLowerCase(),
    status,
    metadata: r.metadata,
    payment_method: r.paymentMethod,
    livemode: false,
    created: Math.floor(r.createdAt.getTime() / 1000),
    client_secret: r.clientSecret,
    cancellation_reason: r.status === "canceled" ? "abandoned" : null,
    next_action:
      r.status === "requires_action"
        ? { type: "redirect_to_url", redirect_to_url: { url: sandboxAuthenticationUrl(r), return_url: r.returnUrl } }
        : null,
    last_payment_error:
      r.failureCode && r.status === "failed"
        ? { type: "card_error", code: "card_declined", decline_code: r.failureCode, message: r.failureMessage }
        : null,
  };
}

/**
 * A processing payment whose time has come succeeds on the sandbox's side (its clock, as Stripe's), whether or
 * not its webhook gets through: so a lost webhook leaves something for reconciliation to find. Returns the row
 * as it now is.
 */
async function settleDue(tx: Tx | Db, r: Row): Promise<Row> {
  // (A row from before settles_at existed has none: it settles when its event is delivered, as it used to.)
  if (r.status !== "processing" || (r.settlesAt && r.settlesAt.getTime() > Date.now())) return r;
  const [done] = await tx
    .update(sandboxPayments)
    .set({ status: "succeeded" })
    .where(and(eq(sandboxPayments.id, r.id), eq(sandboxPayments.status, "processing")))
    .returning();
  return done ?? r;
}

/** The Charge ID of a sandbox PaymentIntent (one charge each): stable, derived from the PaymentIntent's ID. */
export const chargeIdOf = (paymentId: string): string => `ch_${paymentId.replace(/^pi_/, "")}`;

/** The Refund JSON Stripe would send (lower-case currency, minor units). */
function refundJson(r: RefundRow) {
  return {
    id: r.id,
    object: "refund" as const,
    amount: r.amount,
    currency: r.currency.toLowerCase(),
    payment_intent: r.paymentId,
    charge: chargeIdOf(r.paymentId),
    status: r.status,
    reason: r.reason ?? REFUND_REASON,
    metadata: r.metadata as Record<string, string>,
    failure_reason: r.failureReason,
    created: Math.floor(r.createdAt.getTime() / 1000),
  };
}

/** The Charge JSON Stripe would send in `charge.refunded`: cumulative amount_refunded over its non-failed refunds. */
function chargeJson(p: Row, refunds: RefundRow[]) {
  const amountRefunded = refunds.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
  return {
    id: chargeIdOf(p.id),
    object: "charge" as const,
    payment_intent: p.id,
    amount: p.amount,
    amount_captured: p.amount,
    amount_refunded: amountRefunded,
    refunded: amountRefunded >= p.amount,
    captured: true,
    paid: true,
    status: "succeeded",
    currency: p.currency.toLowerCase(),
    metadata: p.metadata,
    payment_method: p.paymentMethod,
    livemode: false,
    created: Math.floor(p.createdAt.getTime() / 1000),
    refunds: {
      object: "list" as const,
      data: refunds.map(refundJson),
      has_more: false,
      total_count: refunds.length,
      url: `/v1/charges/${chargeIdOf(p.id)}/refunds`,
    },
  };
}

/** The Dispute JSON Stripe would send: its balance transactions follow from its status (withdrawn; reinstated if won). */
function disputeJson(d: DisputeRow) {
  const transactions = [{ amount: -d.amount, fee: d.fee, reporting_category: "dispute" }];
  if (d.status === "won") transactions.push({ amount: d.amount, fee: 0, reporting_category: "dispute_reversal" });
  return {
    id: d.id,
    object: "dispute" as const,
    amount: d.amount,
    currency: d.currency.toLowerCase(),
    payment_intent: d.paymentId,
    charge: chargeIdOf(d.paymentId),
    status: d.status,
    reason: d.reason,
    balance_transactions: transactions.map((t) => ({
      object: "balance_transaction",
      amount: t.amount,
      currency: d.currency.toLowerCase(),
      fee: t.fee,
      net: t.amount - t.fee,
      reporting_category: t.reporting_category,
      type: "adjustment",
    })),
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    created: Math.floor(d.createdAt.getTime() / 1000),
  };
}

/**
 * Queue events (and internal steps) of one payment, due `delayMs` from now, in the given order: each is due 1 ms
 * after the previous, so the dispatcher (which takes them by due time) delivers them in order.
 */
async function queue(tx: Tx, paymentId: string, events: { type: string; object?: unknown }[], delayMs = 0) {
  if (events.length === 0) return;
  await tx.insert(sandboxEvents).values(
    events.map((e, i) => ({
      id: newId("evt"),
      paymentId,
      type: e.type,
      object: e.object ?? null,
      deliverAfter: sql`now() + make_interval(secs => ${(delayMs + i) / 1000})`,
    })),
  );
}

const refundsOf = (tx: Tx, paymentId: string) =>
  tx.select().from(sandboxRefunds).where(eq(sandboxRefunds.paymentId, paymentId)).orderBy(asc(sandboxRefunds.createdAt));

interface RefundRequest {
  paymentId: string;
  /** App minor units (converted to Stripe's units once the payment's currency is known); absent: what remains unrefunded (as Stripe). */
  amount?: number;
  /** For the refused answer only: the refund keeps the payment's currency (Stripe takes none for a PaymentIntent). */
  currency?: string;
  metadata: Record<string, string>;
  idempotencyKey?: string;
  pendingMs: number;
}

/**
 * Stripe's refund endpoint: validate, store a `succeeded` refund and queue `refund.created` + `charge.refunded`
 * (and, for pm_card_refundFail, the step that fails it after `pendingMs`). A refusal is a failed refund with
 * `id: null` and Stripe's error code, and stores nothing. Serialized per payment by locking its row.
 */
async function refundPayment(tx: Tx, req: RefundRequest): Promise<ProviderRefund> {
  const refused = (code: string, message: string, currency?: string): ProviderRefund => ({
    id: null,
    paymentId: req.paymentId,
    amount: req.amount ?? 0,
    currency: (currency ?? req.currency ?? "").toUpperCase(),
    status: "failed",
    ...(req.metadata.refund_id ? { refundId: req.metadata.refund_id } : {}),
    failureCode: code,
    failureMessage: message,
  });
  const [p] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, req.paymentId)).for("update");
  if (!p) return refused("resource_missing", `No such payment_intent: '${req.paymentId}'`);
  if (req.idempotencyKey) {
    // Stripe semantics: the same idempotency key returns the first answer.
    const [existing] = await tx.select().from(sandboxRefunds).where(eq(sandboxRefunds.idempotencyKey, req.idempotencyKey));
    if (existing) return fromRefund(refundJson(existing));
  }
  if (p.status !== "succeeded") {
    // Stripe's code for a PaymentIntent in the wrong state for the operation.
    return refused(
      "payment_intent_unexpected_state",
      `This PaymentIntent (${p.id}) does not have a successful charge to refund.`,
      p.currency,
    );
  }
  const [dispute] = await tx
    .select()
    .from(sandboxDisputes)
    .where(and(eq(sandboxDisputes.paymentId, p.id), ne(sandboxDisputes.status, "won")));
  if (dispute) {
    return refused("charge_disputed", `Charge ${chargeIdOf(p.id)} has been charged back; cannot issue a refund.`, p.currency);
  }
  const refunds = await refundsOf(tx, p.id);
  const refunded = refunds.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
  const remaining = p.amount - refunded; // Stripe's units, as the rows
  const amount =
    req.amount === undefined
      ? remaining
      : Number.isSafeInteger(req.amount)
        ? toProviderAmount(req.amount, p.currency)
        : req.amount;
  if (remaining <= 0) {
    return refused("charge_already_refunded", `Charge ${chargeIdOf(p.id)} has already been refunded.`, p.currency);
  }
  if (!Number.isSafeInteger(amount) || amount < 1) {
    return refused("parameter_invalid_integer", `Invalid positive integer: ${amount}`, p.currency);
  }
  if (amount > remaining) {
    return refused(
      "amount_too_large",
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`,
      p.currency,
    );
  }
  const [row] = await tx
    .insert(sandboxRefunds)
    .values({
      id: newId("re"),
      paymentId: p.id,
      idempotencyKey: req.idempotencyKey ?? null,
      amount,
      currency: p.currency,
      status: "succeeded",
      reason: REFUND_REASON,
      metadata: req.metadata,
    })
    .returning();
  if (!row) throw new Error("sandbox insert returned nothing");
  await queue(tx, p.id, [
    { type: "refund.created", object: refundJson(row) },
    { type: "charge.refunded", object: chargeJson(p, [...refunds, row]) },
  ]);
  const m = isMethod(p.paymentMethod) ? SANDBOX_METHODS[p.paymentMethod] : undefined;
  if (m && "refundsFail" in m) await queue(tx, p.id, [{ type: FAIL_REFUND, object: { refund: row.id } }], req.pendingMs);
  return fromRefund(refundJson(row));
}

/**
 * A refund made "in the provider's dashboard" (the sandbox's stand-in for Stripe's): no metadata.refund_id (our
 * webhook handler has to adopt it), Stripe's validation and events as for `createRefund`. `amount` in app minor units,
 * default: all that remains unrefunded. A refusal (unknown, unpaid, disputed or already refunded payment, amount
 * too large) is a failed refund with `id: null`; throws only on database errors. `pendingMs`: how long before a
 * pm_card_refundFail refund fails (default 5 s).
 */
export async function sandboxDashboardRefund(
  db: Db,
  paymentId: string,
  amount?: number,
  opts: { pendingMs?: number } = {},
): Promise<ProviderRefund> {
  return db.transaction((tx) => refundPayment(tx, { paymentId, amount, metadata: {}, pendingMs: opts.pendingMs ?? 5_000 }));
}

/**
 * Close a sandbox dispute, standing in for submitting winning or losing evidence in Stripe's test mode. `won`:
 * status won, events `charge.dispute.funds_reinstated` (the amount comes back, the fee does not) then
 * `charge.dispute.closed`; `lost`: status lost, event `charge.dispute.closed`. Returns the closed dispute.
 * Throws an Error for an unknown dispute ID or a dispute already closed.
 */
export async function closeSandboxDispute(db: Db, disputeId: string, outcome: "won" | "lost"): Promise<ProviderDispute> {
  return db.transaction(async (tx) => {
    const [d] = await tx.select().from(sandboxDisputes).where(eq(sandboxDisputes.id, disputeId)).for("update");
    if (!d) throw new Error(`No such dispute: '${disputeId}'`);
    if (d.status === "won" || d.status === "lost") {
      throw new Error(`Dispute ${disputeId} is already closed (${d.status})`);
    }
    const [closed] = await tx
      .update(sandboxDisputes)
      .set({ status: outcome })
      .where(eq(sandboxDisputes.id, disputeId))
      .returning();
    if (!closed) throw new Error("sandbox update returned nothing");
    const json = disputeJson(closed);
    await queue(tx, closed.paymentId, [
      ...(outcome === "won" ? [{ type: "charge.dispute.funds_reinstated", object: json }] : []),
      { type: "charge.dispute.closed", object: json },
    ]);
    return fromDispute(json);
  });
}

/**
 * The payer's answer on the sandbox's 3-D Secure page, standing in for the card issuer's challenge: `complete`
 * succeeds the payment (`payment_intent.succeeded`), `fail` fails it with Stripe's
 * `payment_intent_authentication_failure` (`payment_intent.payment_failed`). The client secret authorizes it, as
 * Stripe.js's confirmation does. Answering twice changes nothing. Returns where the payer goes next: the path of
 * the payment's return URL (same origin as the page) with Stripe's `payment_intent` and `redirect_status`. Throws an Error for an unknown
 * payment or a wrong client secret (the page answers 404).
 */
export async function completeSandboxAuthentication(
  db: Db,
  p: { paymentId: string; clientSecret: string; outcome: "complete" | "fail" },
): Promise<{ returnUrl: string; status: ProviderPayment["status"] }> {
  return db.transaction(async (tx) => {
    const [r] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, p.paymentId)).for("update");
    if (!r?.clientSecret || !equalSecrets(r.clientSecret, p.clientSecret)) throw new Error("No such payment");
    let row = r;
    if (r.status === "requires_action") {
      const fail = p.outcome === "fail";
      const [done] = await tx
        .update(sandboxPayments)
        .set(
          fail
            ? {
                status: "failed",
                failureCode: "payment_intent_authentication_failure",
                failureMessage: "The provided PaymentMethod has failed authentication.",
              }
            : { status: "succeeded" },
        )
        .where(eq(sandboxPayments.id, r.id))
        .returning();
      if (!done) throw new Error("sandbox update returned nothing");
      row = done;
      await queue(tx, r.id, [{ type: fail ? "payment_intent.payment_failed" : "payment_intent.succeeded" }]);
    }
    const back = new URL(row.returnUrl ?? "/", "http://localhost");
    back.searchParams.set("payment_intent", row.id);
    back.searchParams.set("redirect_status", row.status === "succeeded" ? "succeeded" : "failed");
    // Only its path: the page is on the app, so the payer stays on the origin they are on. The stored URL's host
    // came from a request's Host header, which whoever made the payment chose: never send a payer there.
    return { returnUrl: `${back.pathname}${back.search}`, status: toPayment(row).status };
  });
}

/**
 * A sandbox PaymentIntent as its authentication page shows it, when `clientSecret` is its own; else undefined.
 * Amount in minor units; `status` our PaymentStatus.
 */
export async function sandboxPaymentForPayer(
  db: Db,
  paymentId: string,
  clientSecret: string,
): Promise<{ id: string; amount: number; currency: string; status: ProviderPayment["status"]; campaignId?: string } | undefined> {
  const [r] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, paymentId));
  if (!r?.clientSecret || !equalSecrets(r.clientSecret, clientSecret)) return undefined;
  const p = toPayment(r);
  return {
    id: r.id,
    amount: p.amount,
    currency: r.currency,
    status: p.status,
    campaignId: (r.metadata as Record<string, string>).campaign_id,
  };
}

/** pm_card_refundFail's later step: the refund fails (expired_or_canceled_card); `refund.failed` + `charge.refund.updated`. */
async function failRefundStep(tx: Tx, step: { refund?: string }) {
  const [r] = await tx
    .select()
    .from(sandboxRefunds)
    .where(eq(sandboxRefunds.id, step.refund ?? ""))
    .for("update");
  if (r?.status !== "succeeded") return;
  const [failed] = await tx
    .update(sandboxRefunds)
    .set({ status: "failed", failureReason: "expired_or_canceled_card" })
    .where(eq(sandboxRefunds.id, r.id))
    .returning();
  if (!failed) return;
  await queue(tx, r.paymentId, [
    { type: "refund.failed", object: refundJson(failed) },
    { type: "charge.refund.updated", object: refundJson(failed) },
  ]);
}

/**
 * pm_card_createDispute's later step: a dispute (needs_response, fraudulent) over what remains unrefunded — our
 * choice: a fully refunded payment is not disputed — with its funds withdrawn at once, as Stripe does for cards:
 * `charge.dispute.created` then `charge.dispute.funds_withdrawn`.
 */
async function openDisputeStep(tx: Tx, paymentId: string) {
  const [p] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, paymentId)).for("update");
  if (p?.status !== "succeeded") return;
  const [already] = await tx.select().from(sandboxDisputes).where(eq(sandboxDisputes.paymentId, p.id));
  if (already) return;
  const refunded = (await refundsOf(tx, p.id)).filter((r) => r.status !== "failed").reduce((s, r) => s + r.amount, 0);
  if (p.amount - refunded <= 0) return;
  const [d] = await tx
    .insert(sandboxDisputes)
    .values({
      id: newId("dp"),
      paymentId: p.id,
      amount: p.amount - refunded,
      currency: p.currency,
      status: "needs_response",
      reason: "fraudulent",
      fee: SANDBOX_DISPUTE_FEE,
    })
    .returning();
  if (!d) throw new Error("sandbox insert returned nothing");
  const json = disputeJson(d);
  await queue(tx, p.id, [
    { type: "charge.dispute.created", object: json },
    { type: "charge.dispute.funds_withdrawn", object: json },
  ]);
}

/**
 * The sandbox provider. `pendingMs`: how long a pm_card_processing payment stays pending, and a pm_card_refundFail
 * refund stays succeeded before failing; `disputeMs` (default `pendingMs`): how long after a pm_card_createDispute
 * payment its dispute opens. `loseAnswerRate` (0–1, default 0; config SANDBOX_LOSE_ANSWER_RATE, for the chaos
 * harness): the share of PaymentIntent and Refund creations that are made and committed on the sandbox's side but
 * answered with ProviderUnavailableError, as a network failure after Stripe acted would be.
 */
export function sandboxProvider(
  db: Db,
  opts: { webhookSecret: string; pendingMs: number; disputeMs?: number; loseAnswerRate?: number },
): PaymentProvider {
  const disputeMs = opts.disputeMs ?? opts.pendingMs;
  const loseAnswer = <T>(made: T): T => {
    if (opts.loseAnswerRate && Math.random() < opts.loseAnswerRate) {
      throw new ProviderUnavailableError("sandbox: made, but the answer was lost (simulated, SANDBOX_LOSE_ANSWER_RATE)");
    }
    return made;
  };
  return {
    name: "sandbox",
    webhookSecret: opts.webhookSecret,
    async cardFingerprint(paymentMethod: string) {
      return sandboxCardFingerprint(paymentMethod);
    },
    async createPayment(input: CreatePaymentInput) {
      const m = isMethod(input.paymentMethod) ? SANDBOX_METHODS[input.paymentMethod] : undefined;
      const failed = !m || m.outcome === "failed";
      const id = newId("pi");
      const row = {
        id,
        idempotencyKey: input.idempotencyKey,
        amount: toProviderAmount(input.amount, input.currency),
        currency: input.currency,
        status: failed ? "failed" : m.outcome === "pending" ? "processing" : m.outcome,
        paymentMethod: input.paymentMethod,
        metadata: { contribution_id: input.contributionId, campaign_id: input.campaignId },
        failureCode: !m ? "resource_missing" : "code" in m ? m.code : null,
        failureMessage: !m ? `No such PaymentMethod: '${input.paymentMethod}'` : "message" in m ? m.message : null,
        clientSecret: `${id}_secret_${randomBytes(18).toString("base64url")}`,
        returnUrl: input.returnUrl,
        settlesAt: m?.outcome === "pending" ? new Date(Date.now() + opts.pendingMs) : null,
      } satisfies typeof sandboxPayments.$inferInsert;
      // What the payment queues: requires_action waits for the payer (completeSandboxAuthentication) or a
      // cancellation; else its outcome's event (a processing one when it settles), and a disputed card's step.
      const events: { type: string; delayMs: number }[] =
        m?.outcome === "requires_action"
          ? [{ type: "payment_intent.requires_action", delayMs: 0 }]
          : [
              {
                type: failed ? "payment_intent.payment_failed" : "payment_intent.succeeded",
                delayMs: m?.outcome === "pending" ? opts.pendingMs : 0,
              },
              ...(m && "disputed" in m ? [{ type: OPEN_DISPUTE, delayMs: disputeMs }] : []),
            ];
      // One statement: the payment is inserted unless its idempotency key is taken, and its events only with it
      // (they are inserted from the insert's answer). Atomic without a transaction's begin and commit.
      const made = db
        .$with("made")
        .as(
          db
            .insert(sandboxPayments)
            .values(row)
            .onConflictDoNothing({ target: sandboxPayments.idempotencyKey })
            .returning({ id: sandboxPayments.id }),
        );
      const due = sql.join(
        events.map((e) => sql`(${newId("evt")}, ${e.type}, ${e.delayMs / 1000}::float8)`),
        sql`, `,
      );
      const queued = await db
        .with(made)
        .insert(sandboxEvents)
        .select(
          sql`select e.id, made.id, e.type, null::jsonb, now() + make_interval(secs => e.secs), null::timestamptz, 0, null::text
              from made cross join (values ${due}) as e(id, type, secs)`,
        )
        .returning({ id: sandboxEvents.id });
      if (queued.length > 0) return loseAnswer(toPayment({ ...row, createdAt: new Date() }));
      // Stripe semantics: the same idempotency key returns the first answer.
      const [existing] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.idempotencyKey, input.idempotencyKey));
      if (!existing) throw new Error("sandbox payment neither made nor found");
      return loseAnswer(toPayment(existing));
    },
    async retrievePayment(id: string) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, id));
        if (!row) throw new ProviderUnavailableError(`No such PaymentIntent: '${id}'`);
        return toPayment(await settleDue(tx, row));
      });
    },
    async findPayment(contributionId: string) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(sandboxPayments)
          .where(sql`${sandboxPayments.metadata}->>'contribution_id' = ${contributionId}`);
        return row ? toPayment(await settleDue(tx, row)) : undefined;
      });
    },
    async cancelPayment(id: string) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, id)).for("update");
        if (!row) throw new ProviderUnavailableError(`No such PaymentIntent: '${id}'`);
        if (row.status !== "requires_action") return toPayment(await settleDue(tx, row)); // Stripe refuses: state is the answer
        const [canceled] = await tx
          .update(sandboxPayments)
          .set({ status: "canceled", failureCode: "abandoned", failureMessage: "The payment was canceled before it completed." })
          .where(eq(sandboxPayments.id, id))
          .returning();
        if (!canceled) throw new Error("sandbox update returned nothing");
        await queue(tx, id, [{ type: "payment_intent.canceled" }]);
        return toPayment(canceled);
      });
    },
    async createRefund(input: CreateRefundInput) {
      const made = await db.transaction((tx) =>
        refundPayment(tx, {
          paymentId: input.paymentId,
          amount: input.amount,
          currency: input.currency,
          metadata: refundMetadata(input),
          idempotencyKey: input.idempotencyKey,
          pendingMs: opts.pendingMs,
        }),
      );
      return made.id === null ? made : loseAnswer(made);
    },
    async listRefunds(paymentId: string) {
      const rows = await db
        .select()
        .from(sandboxRefunds)
        .where(eq(sandboxRefunds.paymentId, paymentId))
        .orderBy(desc(sandboxRefunds.createdAt)); // newest first, as Stripe lists
      return rows.map((r) => fromRefund(refundJson(r)));
    },
  };
}

/**
 * POST `body` to `url` on kept-alive connections (node:http, or node:https for an https URL): answers the
 * response's status once its headers arrive (the body is drained, not read), rejects on a network error or after
 * `timeoutMs` without an answer. The dispatcher's client: the same request as `fetch` sent, with less CPU per
 * webhook (no WHATWG Request, Response, streams and AbortSignal: undici's fetch was ~6% of the app's CPU under
 * contributions, profiled). `close` ends its idle connections.
 */
export function webhookClient(url: string, opts: { maxSockets: number; timeoutMs: number }) {
  const target = new URL(url);
  const transport = target.protocol === "https:" ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
  return {
    post(headers: Record<string, string>, body: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const req = transport.request(
          target,
          { method: "POST", agent, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
        req.on("error", reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/**
 * Run one of the sandbox's own delayed steps (not delivered anywhere) in a savepoint: done, it is marked delivered
 * in the same transaction as its effects; failed, it is retried with the events' back-off.
 */
async function runStep(tx: Tx, ev: typeof sandboxEvents.$inferSelect, log: (msg: string, extra?: object) => void) {
  try {
    await tx.transaction(async (sp) => {
      if (ev.type === FAIL_REFUND) await failRefundStep(sp, (ev.object ?? {}) as { refund?: string });
      else if (ev.type === OPEN_DISPUTE) await openDisputeStep(sp, ev.paymentId);
      else log("unknown sandbox step; dropped", { eventId: ev.id, type: ev.type });
      await sp
        .update(sandboxEvents)
        .set({ deliveredAt: sql`now()`, attempts: ev.attempts + 1 })
        .where(eq(sandboxEvents.id, ev.id));
    });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    const backoff = Math.min(60, 2 ** ev.attempts);
    await tx
      .update(sandboxEvents)
      .set({ attempts: ev.attempts + 1, lastError: error, deliverAfter: sql`now() + make_interval(secs => ${backoff})` })
      .where(eq(sandboxEvents.id, ev.id));
    log("sandbox step failed; will retry", { eventId: ev.id, type: ev.type, error, attempt: ev.attempts + 1 });
  }
}

/**
 * Deliver due sandbox events to the webhook URL, at least once, with
 * exponential back-off on failure (like Stripe). Several instances may run it:
 * rows are claimed with SKIP LOCKED. An event's data.object is its stored snapshot (refunds, disputes), else the
 * PaymentIntent as it is now. Rows of a `sandbox.` type are the sandbox's own delayed steps (a refund failing, a
 * dispute opening): run here, not delivered. `loseRate` (0–1, default 0; config SANDBOX_LOSE_WEBHOOK_RATE, for the
 * chaos harness): the share of events marked delivered without being sent, as a webhook Stripe gave up on.
 * Returns a stop function.
 */
export function startSandboxDispatcher(
  db: Db,
  opts: { url: string; secret: string; intervalMs?: number; loseRate?: number; log?: (msg: string, extra?: object) => void },
): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const log = opts.log ?? (() => {});
  const client = webhookClient(opts.url, { maxSockets: DELIVERY_CONCURRENCY, timeoutMs: 10_000 });

  /**
   * One event delivered (or lost, or failed and rescheduled). A lost or failed one has its row updated in `tx`; a
   * delivered one's ID is added to `delivered`, whose rows the tick marks in one statement (same transaction).
   * `payments`: the tick's PaymentIntents, read in one statement when it claimed the events, kept as they now are.
   */
  async function deliver(tx: Tx, ev: typeof sandboxEvents.$inferSelect, payments: Map<string, Row>, delivered: string[]) {
    let object: unknown = ev.object;
    if (object === null) {
      // No snapshot: the PaymentIntent as it is now (payment events).
      const row = payments.get(ev.paymentId);
      if (!row) return;
      // The delayed payment completes on its side by now: committed on its own before the webhook leaves, as Stripe's
      // state does not depend on its deliveries (in the claiming transaction, a rollback after the send left the
      // sandbox saying "processing" about a payment the app had recorded as succeeded).
      const now = await settleDue(db, row);
      payments.set(now.id, now); // the payment's next event in this tick sends it as it now is
      object = intentJson(now);
    }
    const payload = JSON.stringify({
      id: ev.id,
      object: "event",
      api_version: Stripe.API_VERSION,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      type: ev.type,
      data: { object },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret });
    let error: string | undefined;
    if (opts.loseRate && Math.random() < opts.loseRate) {
      await tx
        .update(sandboxEvents)
        .set({ deliveredAt: sql`now()`, attempts: ev.attempts + 1, lastError: "lost (simulated, SANDBOX_LOSE_WEBHOOK_RATE)" })
        .where(eq(sandboxEvents.id, ev.id));
      return;
    }
    try {
      const status = await client.post(
        {
          "content-type": "application/json",
          "stripe-signature": signature,
          "user-agent": "Stripe/1.0 (sandbox)",
          // No compression of the answer (a few bytes of JSON the sandbox only reads the status of): fetch asked for
          // gzip, and the app's server spent CPU compressing it.
          "accept-encoding": "identity",
        },
        payload,
      );
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (error) {
      const backoff = Math.min(60, 2 ** ev.attempts);
      await tx
        .update(sandboxEvents)
        .set({ attempts: ev.attempts + 1, lastError: error, deliverAfter: sql`now() + make_interval(secs => ${backoff})` })
        .where(eq(sandboxEvents.id, ev.id));
      log("sandbox webhook delivery failed; will retry", { eventId: ev.id, error, attempt: ev.attempts + 1 });
    } else {
      delivered.push(ev.id);
    }
  }

  /**
   * Claim up to BATCH due rows and handle them; answers how many. The sandbox's own steps run one after another (each
   * in a savepoint of the claiming transaction); webhooks go out DELIVERY_CONCURRENCY payments at a time, each
   * payment's events in order, as Stripe delivers in parallel. One at a time, deliveries fell behind a sustained 20
   * contributions a second (the chaos harness's long run, docs/reliability.md).
   */
  async function tick(): Promise<number> {
    return db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(sandboxEvents)
        .where(and(isNull(sandboxEvents.deliveredAt), lte(sandboxEvents.deliverAfter, sql`now()`)))
        .orderBy(asc(sandboxEvents.deliverAfter))
        .limit(BATCH)
        .for("update", { skipLocked: true });
      const byPayment = new Map<string, (typeof due)[number][]>();
      for (const ev of due) {
        if (ev.type.startsWith(STEP_PREFIX)) await runStep(tx, ev, log);
        else byPayment.set(ev.paymentId, [...(byPayment.get(ev.paymentId) ?? []), ev]);
      }
      // The PaymentIntents the events without a snapshot send, in one read (after the steps, which may change them).
      const wanted = [...byPayment].filter(([, events]) => events.some((ev) => ev.object === null)).map(([id]) => id);
      const payments = new Map(
        (wanted.length > 0 ? await tx.select().from(sandboxPayments).where(inArray(sandboxPayments.id, wanted)) : []).map((r) => [
          r.id,
          r,
        ]),
      );
      const delivered: string[] = [];
      const limit = pLimit(DELIVERY_CONCURRENCY);
      await Promise.all(
        [...byPayment.values()].map((events) =>
          limit(async () => {
            for (const ev of events) await deliver(tx, ev, payments, delivered);
          }),
        ),
      );
      // Every delivered row marked in one statement (rows claimed FOR UPDATE: attempts + 1 is each row's own).
      if (delivered.length > 0) {
        await tx
          .update(sandboxEvents)
          .set({ deliveredAt: sql`now()`, attempts: sql`${sandboxEvents.attempts} + 1` })
          .where(inArray(sandboxEvents.id, delivered));
      }
      return due.length;
    });
  }

  const interval = opts.intervalMs ?? 200;
  const { pause, wake } = pauser(); // stop() cuts a back-off short
  let outage = 0; // consecutive ticks the database was unavailable: back off to 5 s, the pool reconnects by itself
  const loop = async () => {
    while (!stopped) {
      let full = false;
      running = tick().then(
        (n) => {
          if (outage > 0) log("database back; sandbox dispatcher resumed", { tries: outage });
          outage = 0;
          full = n === BATCH; // a backlog: the next batch at once
        },
        (e) => {
          outage = isDatabaseUnavailable(e) ? outage + 1 : 0;
          log(outage > 0 ? "database unavailable; sandbox dispatcher retrying" : "sandbox dispatcher error", {
            error: String(e),
          });
        },
      );
      await running;
      if (!full) await pause(outage > 0 ? Math.min(5000, interval * 2 ** outage) : interval);
    }
  };
  void loop().catch((e) => log("sandbox dispatcher stopped on an error", { error: String(e) }));
  return async () => {
    stopped = true;
    wake();
    await running;
    client.close();
  };
}
