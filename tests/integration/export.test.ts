import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { api, signIn, tokenFor, validCampaign } from "../support/http";
import { contribute } from "../support/payments";

describe("exporting a campaign's contributions as CSV", () => {
  it("gives its creator and admins every contribution, anonymity kept, formulas neutralised; 404 to others, 401 signed out", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Tools for the workshop" }) })).body;
    expect(
      (await contribute(bob, id, { amount: 1250, currency: "USD", paymentMethod: "pm_card_visa", message: "Good luck!" })).status,
    ).toBe(201);
    expect(
      (
        await contribute(bob, id, {
          amount: 500,
          currency: "USD",
          paymentMethod: "pm_card_visa",
          anonymous: true,
          message: '=HYPERLINK("https://evil.example")',
        })
      ).status,
    ).toBe(201);
    expect((await contribute(bob, id, { amount: 700, currency: "USD", paymentMethod: "pm_card_chargeDeclined" })).status).toBe(
      201,
    );

    const res = await api(`/api/campaigns/${id}/contributions/export`, { token: alice });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Tools-for-the-workshop-${id.slice(0, 8)}-contributions.csv"`,
    );
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const rows = parse(res.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual([
      "contribution_id",
      "created_at",
      "donor",
      "status",
      "currency",
      "amount_minor",
      "amount",
      "refunded_minor",
      "message",
    ]);
    expect(rows.map((r) => [r.donor, r.status, r.amount_minor, r.amount, r.message])).toEqual([
      ["Bob Example", "succeeded", "1250", "12.50", "Good luck!"],
      ["Anonymous", "succeeded", "500", "5.00", `'=HYPERLINK("https://evil.example")`],
      ["Bob Example", "failed", "700", "7.00", ""],
    ]);
    expect(res.text).not.toContain("bob@example.com");

    const carol = await api(`/api/campaigns/${id}/contributions/export`, { cookie: await signIn("carol@example.com") });
    expect(carol.status).toBe(200); // an admin, signed in with the session cookie
    expect(parse(carol.text, { columns: true })).toHaveLength(3);
    const others = await api(`/api/campaigns/${id}/contributions/export`, { token: bob });
    expect(others.status).toBe(404);
    expect(others.body.error.code).toBe("CAMPAIGN_NOT_FOUND");
    const signedOut = await api(`/api/campaigns/${id}/contributions/export`);
    expect(signedOut.status).toBe(401);
    expect((await api("/api/campaigns/not-a-campaign/contributions/export", { token: alice })).status).toBe(404);
  });
});
