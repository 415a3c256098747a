/**
 * Currency units end to end, with the sandbox provider (which keeps and sends Stripe's units, as Stripe does):
 * a currency the provider cannot charge is refused for a campaign, an amount it cannot charge is refused before
 * anything is written, and a HUF pledge is charged in Stripe's two-decimal forint while the app keeps whole forints.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, tokenFor, validCampaign } from "../support/http";
import { contribute, query, waitFor } from "../support/payments";

let alice: string;
let bob: string;

beforeAll(async () => {
  [alice, bob] = await Promise.all([tokenFor("alice@example.com"), tokenFor("bob@example.com")]);
});

async function newCampaign(currency: string, goalAmount = 500_000) {
  const r = await api("/api/campaigns", { token: alice, json: validCampaign({ currency, goalAmount }) });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; currency: string };
}

const count = async (sql: string, params: unknown[]) => Number((await query<{ n: string }>(sql, params))[0]?.n);

describe("currency units", () => {
  it("refuses XDR (no one can pay in it) as a campaign currency with 422 CURRENCY_NOT_SUPPORTED", async () => {
    const r = await api("/api/campaigns", { token: alice, json: validCampaign({ currency: "XDR" }) });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("CURRENCY_NOT_SUPPORTED");
    expect(r.body.error.details).toEqual([expect.objectContaining({ field: "currency" })]);
    // An unknown code stays a validation error.
    const unknown = await api("/api/campaigns", { token: alice, json: validCampaign({ currency: "ZZZ" }) });
    expect(unknown.status).toBe(400);
  });

  it("refuses 1.005 KWD (Stripe's three-decimal amounts end in 0) with 400, writing nothing", async () => {
    const c = await newCampaign("KWD");
    const r = await contribute(bob, c.id, { amount: 1005, currency: "KWD", paymentMethod: "pm_card_visa" });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("AMOUNT_NOT_CHARGEABLE");
    expect(r.body.error.message).toMatch(/multiple of/);
    expect(await count("select count(*) as n from contributions where campaign_id = $1", [c.id])).toBe(0);
    expect(await count("select count(*) as n from sandbox_payments where metadata->>'campaign_id' = $1", [c.id])).toBe(0);
    // 1.010 KWD is fine.
    const ok = await contribute(bob, c.id, { amount: 1010, currency: "KWD", paymentMethod: "pm_card_visa" });
    expect(ok.status).toBe(201);
    // A refund takes the same step: 0.005 KWD is refused before the provider is asked; 0.010 KWD is made.
    const refund = (amount: number) =>
      api(`/api/contributions/${ok.body.id}/refunds`, {
        token: alice,
        json: { amount },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
    const odd = await refund(5);
    expect(odd.status).toBe(400);
    expect(odd.body.error.code).toBe("AMOUNT_NOT_CHARGEABLE");
    expect(await count("select count(*) as n from refunds where contribution_id = $1", [ok.body.id])).toBe(0);
    expect((await refund(10)).status).toBe(201);
  });

  it("charges a HUF pledge of 20,000 Ft as 2,000,000 of Stripe's units and counts 20,000 Ft", async () => {
    const c = await newCampaign("HUF", 1_000_000);
    const r = await contribute(bob, c.id, { amount: 20_000, currency: "HUF", paymentMethod: "pm_card_visa" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ amount: 20_000, currency: "HUF", status: "succeeded" });
    const [sent] = await query<{ amount: string; currency: string }>(
      "select amount, currency from sandbox_payments where metadata->>'contribution_id' = $1",
      [r.body.id],
    );
    expect(Number(sent?.amount)).toBe(2_000_000);
    const [row] = await query<{ amount: string }>("select amount from contributions where id = $1", [r.body.id]);
    expect(Number(row?.amount)).toBe(20_000);
    // The webhook (Stripe's units in the sandbox's event JSON) settles it in the app's units.
    const campaign = await waitFor(
      async () => (await api(`/api/campaigns/${c.id}`, { token: alice })).body,
      (b) => b.collectedAmount === 20_000,
    );
    expect(campaign.collectedAmount).toBe(20_000);
  });

  it("takes HUF's minimum as 175 Ft (it was enforced as 17,500 Ft)", async () => {
    const c = await newCampaign("HUF", 1_000_000);
    const low = await contribute(bob, c.id, { amount: 174, currency: "HUF", paymentMethod: "pm_card_visa" });
    expect(low.status).toBe(400);
    expect(low.body.error.code).toBe("AMOUNT_OUT_OF_RANGE");
    const min = await contribute(bob, c.id, { amount: 175, currency: "HUF", paymentMethod: "pm_card_visa" });
    expect(min.status).toBe(201);
  });
});
