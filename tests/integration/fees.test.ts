import { describe, expect, inject, it } from "vitest";
import { startApp } from "../support/env";
import { api, tokenFor, validCampaign } from "../support/http";
import { query, waitFor } from "../support/payments";

describe("platform fee", () => {
  it("posts as its own ledger lines; the campaign's gross total stays the sum of contributions", async () => {
    const app = await startApp(inject("databaseUrl"), { PLATFORM_FEE_BPS: "250" });
    try {
      const alice = await tokenFor("alice@example.com");
      const bob = await tokenFor("bob@example.com");
      const c = (await api("/api/campaigns", { base: app.baseUrl, token: alice, json: validCampaign({ currency: "EUR" }) })).body;
      const r = await api(`/api/campaigns/${c.id}/contributions`, {
        base: app.baseUrl,
        token: bob,
        json: { amount: 10_000, currency: "EUR" },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
      expect(r.body.status).toBe("succeeded");
      const lines = await query<{ kind: string; amount: string; currency: string }>(
        `select a.kind, l.amount, l.currency from ledger_lines l
         join ledger_entries e on e.id = l.entry_id join ledger_accounts a on a.id = l.account_id
         where e.reference = $1 order by l.id`,
        [r.body.id],
      );
      expect(lines.map((l) => [l.kind, Number(l.amount), l.currency])).toEqual([
        ["provider_clearing", 10_000, "EUR"],
        ["campaign_collected", -10_000, "EUR"],
        ["campaign_collected", 250, "EUR"],
        ["platform_fees", -250, "EUR"],
      ]);
      const total = await waitFor(
        async () => (await api(`/api/campaigns/${c.id}`, { base: app.baseUrl })).body.collectedAmount,
        (v) => v === 10_000,
      );
      expect(total).toBe(10_000);
    } finally {
      await app.stop();
    }
  });
});
