import { createHmac, randomBytes } from "node:crypto";
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import Stripe from "stripe";
import type { Db } from "@/db/client";
import { sandboxEvents, sandboxPayments } from "@/db/schema";
import type { CreatePaymentInput, PaymentProvider, ProviderPayment } from "./provider";

/**
 * The sandbox provider: behaves like Stripe in test mode, with Stripe's test
 * payment methods, and delivers Stripe-shaped events signed exactly like Stripe
 * (the SDK's own signing) to our webhook endpoint — so the sandbox exercises the
 * same webhook code path as real Stripe. Its state lives in PostgreSQL
 * (sandbox_payments, sandbox_events), so deliveries survive restarts.
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
  /** Our choice for "stays pending, succeeds a few seconds later" (like a bank debit that is processing). */
  pm_card_processing: { label: "Slow bank — pending, then succeeds", outcome: "pending" },
} as const;

type Method = keyof typeof SANDBOX_METHODS;
const isMethod = (m: string): m is Method => m in SANDBOX_METHODS;

export const newId = (prefix: string): string => `${prefix}_sb_${randomBytes(12).toString("base64url")}`;

/** The sandbox's signing secret: configured, or derived from the app secret so every instance agrees. */
export function sandboxWebhookSecret(configured: string | undefined, appSecret: string): string {
  return configured ?? `whsec_${createHmac("sha256", appSecret).update("sandbox-webhook").digest("base64url")}`;
}

type Row = typeof sandboxPayments.$inferSelect;

function toPayment(r: Row): ProviderPayment {
  return {
    id: r.id,
    status: r.status === "succeeded" ? "succeeded" : r.status === "failed" ? "failed" : "pending",
    amount: r.amount,
    currency: r.currency,
    contributionId: (r.metadata as Record<string, string>).contribution_id,
    failureCode: r.failureCode ?? undefined,
    failureMessage: r.failureMessage ?? undefined,
  };
}

/** The PaymentIntent JSON Stripe would put in an event's data.object. */
function intentJson(r: Row) {
  const status = r.status === "succeeded" ? "succeeded" : r.status === "failed" ? "requires_payment_method" : "processing";
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
    last_payment_error: r.failureCode
      ? { type: "card_error", code: "card_declined", decline_code: r.failureCode, message: r.failureMessage }
      : null,
  };
}

export function sandboxProvider(db: Db, opts: { webhookSecret: string; pendingMs: number }): PaymentProvider {
  return {
    name: "sandbox",
    webhookSecret: opts.webhookSecret,
    async createPayment(input: CreatePaymentInput) {
      return db.transaction(async (tx) => {
        // Stripe semantics: the same idempotency key returns the first answer.
        const [existing] = await tx
          .select()
          .from(sandboxPayments)
          .where(eq(sandboxPayments.idempotencyKey, input.idempotencyKey));
        if (existing) return toPayment(existing);
        const m = isMethod(input.paymentMethod) ? SANDBOX_METHODS[input.paymentMethod] : undefined;
        const failed = !m || m.outcome === "failed";
        const row: typeof sandboxPayments.$inferInsert = {
          id: newId("pi"),
          idempotencyKey: input.idempotencyKey,
          amount: input.amount,
          currency: input.currency,
          status: m?.outcome === "pending" ? "processing" : failed ? "failed" : "succeeded",
          paymentMethod: input.paymentMethod,
          metadata: { contribution_id: input.contributionId, campaign_id: input.campaignId },
          failureCode: !m ? "resource_missing" : "code" in m ? m.code : null,
          failureMessage: !m ? `No such PaymentMethod: '${input.paymentMethod}'` : "message" in m ? m.message : null,
        };
        const [created] = await tx.insert(sandboxPayments).values(row).returning();
        if (!created) throw new Error("sandbox insert returned nothing");
        const delay = m?.outcome === "pending" ? opts.pendingMs : 0;
        await tx.insert(sandboxEvents).values({
          id: newId("evt"),
          paymentId: created.id,
          type: failed ? "payment_intent.payment_failed" : "payment_intent.succeeded",
          deliverAfter: sql`now() + make_interval(secs => ${delay / 1000})`,
        });
        return toPayment(created);
      });
    },
    async retrievePayment(id: string) {
      const [row] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, id));
      if (!row) throw new Error(`No such PaymentIntent: '${id}'`);
      return toPayment(row);
    },
  };
}

/**
 * Deliver due sandbox events to the webhook URL, at least once, with
 * exponential back-off on failure (like Stripe). Several instances may run it:
 * rows are claimed with SKIP LOCKED. Returns a stop function.
 */
export function startSandboxDispatcher(
  db: Db,
  opts: { url: string; secret: string; intervalMs?: number; log?: (msg: string, extra?: object) => void },
): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const log = opts.log ?? (() => {});

  async function tick() {
    await db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(sandboxEvents)
        .where(and(isNull(sandboxEvents.deliveredAt), lte(sandboxEvents.deliverAfter, sql`now()`)))
        .orderBy(asc(sandboxEvents.deliverAfter))
        .limit(20)
        .for("update", { skipLocked: true });
      for (const ev of due) {
        const [p] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, ev.paymentId));
        if (!p) continue;
        if (p.status === "processing" && ev.type === "payment_intent.succeeded") {
          // the delayed payment completes on the provider's side now
          await tx.update(sandboxPayments).set({ status: "succeeded" }).where(eq(sandboxPayments.id, p.id));
          p.status = "succeeded";
        }
        const payload = JSON.stringify({
          id: ev.id,
          object: "event",
          api_version: Stripe.API_VERSION,
          created: Math.floor(Date.now() / 1000),
          livemode: false,
          pending_webhooks: 1,
          type: ev.type,
          data: { object: intentJson(p) },
        });
        const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret });
        let error: string | undefined;
        try {
          const res = await fetch(opts.url, {
            method: "POST",
            headers: { "content-type": "application/json", "stripe-signature": signature, "user-agent": "Stripe/1.0 (sandbox)" },
            body: payload,
            signal: AbortSignal.timeout(10_000),
          });
          if (!res.ok) error = `HTTP ${res.status}`;
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
          await tx
            .update(sandboxEvents)
            .set({ deliveredAt: sql`now()`, attempts: ev.attempts + 1 })
            .where(eq(sandboxEvents.id, ev.id));
        }
      }
    });
  }

  const interval = opts.intervalMs ?? 200;
  const loop = async () => {
    while (!stopped) {
      running = tick().catch((e) => log("sandbox dispatcher error", { error: String(e) }));
      await running;
      await new Promise((r) => setTimeout(r, interval));
    }
  };
  void loop();
  return async () => {
    stopped = true;
    await running;
  };
}
