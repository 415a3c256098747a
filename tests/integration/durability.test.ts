import { describe, expect, inject, it } from "vitest";
import { startApp } from "../support/env";
import { tokenFor, validCampaign } from "../support/http";

describe("durability", () => {
  it("a campaign acknowledged with 201 survives kill -9 of the app and a restart", async () => {
    const token = await tokenFor("alice@example.com");
    const app = await startApp(inject("databaseUrl"));
    const res = await fetch(`${app.baseUrl}/api/campaigns`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(validCampaign({ title: "Survives a crash" })),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await app.stop("SIGKILL");
    expect(() => process.kill(app.process.pid as number, 0)).toThrow(); // really gone

    const again = await startApp(inject("databaseUrl"), {}, app.port);
    try {
      const r = await fetch(`${again.baseUrl}/api/campaigns/${id}`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { title: string }).title).toBe("Survives a crash");
    } finally {
      await again.stop();
    }
  });
});

describe("durability of payments", () => {
  it("a webhook acknowledged with 2xx survives kill -9 of the app right after", async () => {
    const { signedEvent, postWebhook, query } = await import("../support/payments");
    const { api } = await import("../support/http");
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    // a sandbox that would only deliver in 10 minutes: the webhook below is the only settlement
    const app = await startApp(inject("databaseUrl"), { SANDBOX_PENDING_MS: "600000" });
    const campaign = (await api("/api/campaigns", { base: app.baseUrl, token: alice, json: validCampaign() })).body;
    const contribution = (
      await api(`/api/campaigns/${campaign.id}/contributions`, {
        base: app.baseUrl,
        token: bob,
        json: { amount: 4200, currency: "USD", paymentMethod: "pm_card_processing" },
        headers: { "idempotency-key": crypto.randomUUID() },
      })
    ).body;
    expect(contribution.status).toBe("pending");
    const [row] = await query<{ provider_payment_id: string }>("select provider_payment_id from contributions where id = $1", [
      contribution.id,
    ]);
    const ev = signedEvent("payment_intent.succeeded", {
      id: row?.provider_payment_id as string,
      amount: 4200,
      currency: "USD",
      contributionId: contribution.id,
    });
    const ack = await postWebhook(ev, app.baseUrl);
    expect(ack.status).toBe(200);
    await app.stop("SIGKILL");

    const again = await startApp(inject("databaseUrl"), { SANDBOX_PENDING_MS: "600000" }, app.port);
    try {
      const { waitFor } = await import("../support/payments");
      const c = await waitFor(
        async () => (await api(`/api/campaigns/${campaign.id}`, { base: again.baseUrl })).body,
        (x) => x.collectedAmount === 4200,
      );
      expect(c).toMatchObject({ collectedAmount: 4200, contributionCount: 1 });
      const mine = (await api(`/api/contributions/${contribution.id}`, { base: again.baseUrl, token: bob })).body;
      expect(mine.status).toBe("succeeded");
      expect(await query("select 1 from ledger_entries where reference = $1", [contribution.id])).toHaveLength(1);
      // Stripe would redeliver if it had not seen the 2xx: that changes nothing
      expect((await postWebhook(ev, again.baseUrl)).body.result).toBe("duplicate_event");
    } finally {
      await again.stop();
    }
  });
});
