import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "@/db/client";
import { api, signIn, tokenFor, validCampaign } from "../support/http";

/** Receipts (docs/receipts.md): a numbered printable page per paid contribution, and a year's receipts as CSV. */

const { sql } = openDb(inject("databaseUrl"), 2);
const email = `erin-${Date.now()}@example.com`;
let alice: string;
let erin: string;
let erinCookie: string;
let aliceCookie: string;

beforeAll(async () => {
  // a donor of this file's own, so that their year of receipts holds exactly what this file gave
  await sql`insert into users (id, email, name, role, password_hash)
    select gen_random_uuid(), ${email}, 'Erin Example', 'user', password_hash from users where email = 'alice@example.com'`;
  [alice, erin, erinCookie, aliceCookie] = await Promise.all([
    tokenFor("alice@example.com"),
    tokenFor(email),
    signIn(email),
    signIn("alice@example.com"),
  ]);
});

afterAll(async () => {
  await sql.end();
});

async function give(campaignId: string, amount: number, paymentMethod = "pm_card_visa") {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    token: erin,
    json: { amount, currency: "USD", paymentMethod },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status).toBe(201);
  return r.body as { id: string; status: string };
}

describe("receipts", () => {
  it("prints a numbered receipt for the donor only, with the refunds taken back, and none for a declined payment", async () => {
    const campaign = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "New roof for the school" }) }))
      .body.id as string;
    const paid = await give(campaign, 2500);
    expect(paid.status).toBe("succeeded");
    const [row] = await sql`select receipt_number, provider_payment_id from contributions where id = ${paid.id}`;
    expect(row?.receipt_number).toBeTruthy();

    const page = await api(`/contributions/${paid.id}/receipt`, { cookie: erinCookie });
    expect(page.status).toBe(200);
    for (const text of [
      `Receipt No. <!-- -->${row?.receipt_number}`,
      "Erin Example",
      email,
      "New roof for the school",
      "Alice Example",
      "$25.00",
      row?.provider_payment_id,
    ]) {
      expect(page.text).toContain(text);
    }
    expect(page.text).not.toContain("Refunded");

    // the creator gives $5.00 back: the receipt says so and what remains given
    const refund = await api(`/api/contributions/${paid.id}/refunds`, {
      token: alice,
      json: { amount: 500 },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(refund.status).toBe(201);
    const after = await api(`/contributions/${paid.id}/receipt`, { cookie: erinCookie });
    expect(after.text).toContain("Refunded");
    expect(after.text).toMatch(/data-testid="receipt-net">\$20\.00</);

    // nobody else sees it: the campaign's creator, a stranger, nobody signed out
    expect((await api(`/contributions/${paid.id}/receipt`, { cookie: aliceCookie })).status).toBe(404);
    const anonymous = await api(`/contributions/${paid.id}/receipt`);
    expect(anonymous.status).toBe(307);
    expect(anonymous.headers.get("location")).toContain("/signin");
    expect((await api(`/contributions/${crypto.randomUUID()}/receipt`, { cookie: erinCookie })).status).toBe(404);
    expect((await api("/contributions/not-an-id/receipt", { cookie: erinCookie })).status).toBe(404);

    const declined = await give(campaign, 1000, "pm_card_chargeDeclined");
    expect(declined.status).toBe("failed");
    expect((await api(`/contributions/${declined.id}/receipt`, { cookie: erinCookie })).status).toBe(404);

    // My contributions links the receipt of the paid one only, and the year's download
    const mine = await api("/contributions", { cookie: erinCookie });
    expect(mine.text).toContain(`href="/contributions/${paid.id}/receipt"`);
    expect(mine.text).not.toContain(`href="/contributions/${declined.id}/receipt"`);
    expect(mine.text).toContain(`href="/contributions/receipts/${new Date().getUTCFullYear()}"`);
  });

  it("downloads a year's receipts as one CSV with totals per currency, for the donor alone", async () => {
    const year = new Date().getUTCFullYear();
    const campaign = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "=cmd|' /C calc'!A0" }) })).body
      .id as string;
    const a = await give(campaign, 1000);
    const b = await give(campaign, 250);
    const numbers =
      await sql`select id, receipt_number from contributions where contributor_id = (select id from users where email = ${email}) and receipt_number is not null order by receipt_number`;

    const r = await api(`/contributions/receipts/${year}`, { cookie: erinCookie });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(r.headers.get("content-disposition")).toBe(`attachment; filename="receipts-${year}.csv"`);
    const lines = r.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "receipt_number,paid_at,campaign,creator,currency,amount,refunded,net_amount,payment_reference,receipt_url",
    );
    expect(lines.slice(1, -1).map((l) => l.split(",")[0])).toEqual(numbers.map((n) => String(n.receipt_number)));
    const rowOf = (id: string) => lines.find((l) => l.includes(`/contributions/${id}/receipt`)) ?? "";
    expect(rowOf(a.id)).toContain(",'=cmd|' /C calc'!A0,Alice Example,USD,10.00,0.00,10.00,pi_"); // no formula
    expect(rowOf(b.id)).toContain(",USD,2.50,0.00,2.50,pi_");
    // this donor's gifts of this year: $25.00 (of which $5.00 refunded, first test), $10.00 and $2.50
    expect(lines.at(-1)).toBe("total,,,,USD,37.50,5.00,32.50,,");

    // a bearer token works too; others get their own (empty) year; bad years and nobody are refused
    expect((await api(`/contributions/receipts/${year}`, { token: erin })).text).toBe(r.text);
    expect((await api(`/contributions/receipts/${year}`, { cookie: aliceCookie })).text).not.toContain(a.id);
    expect((await api(`/contributions/receipts/${year - 1}`, { cookie: erinCookie })).text.trimEnd().split("\r\n")).toHaveLength(
      1,
    );
    for (const bad of ["26", "abcd", "1999", String(year + 2)]) {
      const x = await api(`/contributions/receipts/${bad}`, { cookie: erinCookie });
      expect(x.status, bad).toBe(400);
      expect(x.body.error.code).toBe("VALIDATION_FAILED");
    }
    const nobody = await api(`/contributions/receipts/${year}`);
    expect(nobody.status).toBe(401);
    expect(nobody.body.error.code).toBe("UNAUTHENTICATED");
  });
});
