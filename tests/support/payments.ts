import postgres from "postgres";
import Stripe from "stripe";
import { inject } from "vitest";
import { TEST_SANDBOX_SECRET } from "./env";
import { api } from "./http";

/** A Stripe-shaped event for a PaymentIntent, signed like the sandbox (and Stripe) sign them. */
export function signedEvent(
  type: string,
  intent: { id: string; amount: number; currency: string; contributionId?: string; status?: string },
  opts: { eventId?: string; secret?: string; timestamp?: number } = {},
) {
  const payload = JSON.stringify({
    id: opts.eventId ?? `evt_test_${Math.random().toString(36).slice(2)}`,
    object: "event",
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: {
      object: {
        id: intent.id,
        object: "payment_intent",
        amount: intent.amount,
        currency: intent.currency.toLowerCase(),
        status: intent.status ?? (type === "payment_intent.succeeded" ? "succeeded" : "requires_payment_method"),
        metadata: intent.contributionId ? { contribution_id: intent.contributionId } : {},
        last_payment_error: null,
      },
    },
  });
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? TEST_SANDBOX_SECRET,
    timestamp: opts.timestamp,
  });
  return { payload, header };
}

export async function postWebhook(ev: { payload: string; header: string }, base?: string) {
  return api("/api/webhooks/stripe", {
    method: "POST",
    body: ev.payload,
    headers: { "content-type": "application/json", "stripe-signature": ev.header },
    ...(base ? { base } : {}),
  });
}

/** Run SQL against the test database. */
export async function query<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const sql = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text, params as never[])) as unknown as T[];
  } finally {
    await sql.end();
  }
}

export async function contribute(
  token: string,
  campaignId: string,
  body: Record<string, unknown>,
  key: string = crypto.randomUUID(),
) {
  return api(`/api/campaigns/${campaignId}/contributions`, { token, json: body, headers: { "idempotency-key": key } });
}

export { waitFor } from "./wait";
