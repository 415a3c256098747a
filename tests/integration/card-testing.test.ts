/**
 * Card testing (docs/security.md): someone with a list of stolen card numbers tries them one after another in
 * small contributions to learn which work. Declined payments are counted per user, per client IP and per card
 * (the provider's card fingerprint); past a limit a further attempt is 429 CARD_TESTING_SUSPECTED with
 * Retry-After, before anything is recorded or sent to the provider, with one warn line in the log. Declines that
 * arrive later by webhook count too. The sandbox's declining test cards, through the real HTTP API, each
 * world its own app and database (its own counters).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { completeSandboxAuthentication } from "@/lib/payments/sandbox";
import { activeCampaign, api } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

const DECLINED = "pm_card_chargeDeclined";
const NO_FUNDS = "pm_card_chargeDeclinedInsufficientFunds";
const THREE_DS = "pm_card_authenticationRequired";

function world(label: string, limits: { user: number; ip: number; card: number }) {
  const s: { w: OwnApp; campaignId: string } = {} as never;
  beforeAll(async () => {
    s.w = await startOwnApp(label, {
      CARD_DECLINES_MAX_PER_USER: String(limits.user),
      CARD_DECLINES_MAX_PER_IP: String(limits.ip),
      CARD_DECLINES_MAX_PER_CARD: String(limits.card),
      CARD_DECLINES_WINDOW_SECONDS: "3600",
      RATE_LIMIT_PREFIX: `cf:rl:${label}:${Date.now()}`, // counters of this run only (REDIS_URL is shared)
      SANDBOX_PENDING_MS: "300",
    });
    s.campaignId = await activeCampaign(s.w.carol, s.w.app.baseUrl);
  }, 120_000);
  afterAll(() => s.w?.stop());
  return s;
}

const give = (s: { w: OwnApp; campaignId: string }, token: string, paymentMethod: string) =>
  api(`/api/campaigns/${s.campaignId}/contributions`, {
    base: s.w.app.baseUrl,
    token,
    json: { amount: 1100, currency: "USD", paymentMethod },
    headers: { "idempotency-key": randomUUID() },
  });

/** Everything an attempt could write: our rows and the provider's. */
async function written(w: OwnApp) {
  const [r] =
    await w.sql`select (select count(*)::int from contributions) as c, (select count(*)::int from idempotency_keys) as k,
    (select count(*)::int from sandbox_payments) as p`;
  return r;
}

function expectRefused(r: Awaited<ReturnType<typeof give>>) {
  expect(r.status, r.text).toBe(429);
  expect(r.body.error.code).toBe("CARD_TESTING_SUSPECTED");
  expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
}

async function declined(s: { w: OwnApp; campaignId: string }, token: string, pm: string) {
  const r = await give(s, token, pm);
  expect(r.status, r.text).toBe(201);
  expect(r.body.status).toBe("failed");
}

describe("card testing: per card and per user", () => {
  const s = world("cardtest", { user: 3, ip: 1000, card: 2 });

  it("a card declined twice is refused to anyone, before anything is written; other cards still work", async () => {
    await declined(s, s.w.alice, DECLINED);
    await declined(s, s.w.alice, DECLINED);
    const before = await written(s.w);
    const r = await give(s, s.w.bob, DECLINED); // bob has no decline of his own: the card is what is refused
    expectRefused(r);
    expect(await written(s.w)).toEqual(before);
    expect(s.w.app.output()).toMatch(/card testing suspected/);
    const ok = await give(s, s.w.bob, "pm_card_visa");
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.status).toBe("succeeded");
  });

  it("a user past three declines is refused with any card; other users are not", async () => {
    await declined(s, s.w.alice, NO_FUNDS); // alice's third
    const before = await written(s.w);
    expectRefused(await give(s, s.w.alice, "pm_card_visa"));
    expectRefused(await give(s, s.w.alice, "pm_card_mastercard"));
    expect(await written(s.w)).toEqual(before);
    const ok = await give(s, s.w.carol, "pm_card_visa");
    expect(ok.status, ok.text).toBe(201);
  });

  it("declines that arrive later by webhook count as well", async () => {
    const { db, sql } = openDb(s.w.tdb.url, 1);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await give(s, s.w.bob, THREE_DS);
        expect(r.status, r.text).toBe(201);
        expect(r.body.status).toBe("requires_action");
        const pi = new URL(r.body.nextAction.redirectToUrl).searchParams.get("payment_intent") ?? "";
        await completeSandboxAuthentication(db, { paymentId: pi, clientSecret: r.body.clientSecret, outcome: "fail" });
        // The sandbox tells us by webhook (payment_intent.payment_failed) only.
        await waitFor(
          async () => (await s.w.sql`select status from contributions where id = ${r.body.id}`)[0]?.status,
          (x) => x === "failed",
          20_000,
        );
      }
    } finally {
      await sql.end();
    }
    expectRefused(await give(s, s.w.carol, THREE_DS)); // that card's two declines came by webhook
  });
});

describe("card testing: per client IP", () => {
  const s = world("cardtestip", { user: 1000, ip: 3, card: 1000 });

  it("three declines from one address, whoever made them, stop every further attempt from it", async () => {
    await declined(s, s.w.alice, DECLINED);
    await declined(s, s.w.bob, NO_FUNDS);
    await declined(s, s.w.carol, DECLINED);
    const before = await written(s.w);
    expectRefused(await give(s, s.w.alice, "pm_card_visa"));
    expectRefused(await give(s, s.w.bob, "pm_card_mastercard"));
    expect(await written(s.w)).toEqual(before);
  });
});
