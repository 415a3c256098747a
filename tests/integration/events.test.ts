import { describe, expect, it } from "vitest";
import { api, tokenFor, validCampaign } from "../support/http";
import { contribute, query, waitFor } from "../support/payments";

describe("the event stream in the running app", () => {
  it("brings totals level with the ledger after a burst of concurrent contributions, across campaigns", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const campaigns = await Promise.all(
      Array.from(
        { length: 5 },
        async (_, i) =>
          (await api("/api/campaigns", { token: alice, json: validCampaign({ title: `Burst ${i}` }) })).body.id as string,
      ),
    );
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => contribute(bob, campaigns[i % 5] as string, { amount: 100 + i, currency: "USD" })),
    );
    for (const r of results) expect(r.body.status).toBe("succeeded");
    const writesDone = Date.now();
    for (const id of campaigns) {
      const [ledger] = await query<{ total: string; n: string }>(
        "select coalesce(sum(amount), 0) as total, count(*) as n from contributions where campaign_id = $1 and status = 'succeeded'",
        [id],
      );
      const c = await waitFor(
        async () => (await api(`/api/campaigns/${id}`)).body,
        (x) => x.collectedAmount === Number(ledger?.total),
        5000,
      );
      expect(c).toMatchObject({ collectedAmount: Number(ledger?.total), contributionCount: Number(ledger?.n) });
    }
    const converged = Date.now() - writesDone;
    console.log(
      `150 contributions over 5 campaigns in ${writesDone - started} ms; totals converged ${converged} ms after the last write`,
    );
  });

  it("parks a poison event with its error and keeps its partition moving", async () => {
    const alice = await tokenFor("alice@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Poison neighbour" }) })).body;
    const [{ partition } = { partition: 0 }] = await query<{ partition: number }>(
      "select partition from outbox_events where partition_key = $1 limit 1",
      [id],
    );
    await query(
      `insert into outbox_events (id, type, partition_key, partition, payload)
       values (gen_random_uuid(), 'contribution.succeeded', $1, $2, '{"campaignId": "not-a-uuid", "amount": -5}')`,
      [id, partition],
    );
    const bob = await tokenFor("bob@example.com");
    await contribute(bob, id, { amount: 777, currency: "USD" });
    const c = await waitFor(
      async () => (await api(`/api/campaigns/${id}`)).body,
      (x) => x.collectedAmount === 777,
      10_000,
    );
    expect(c.collectedAmount).toBe(777);
    const parked = await waitFor(
      () =>
        query<{ group: string; error: string }>(
          `select p."group", p.error from parked_events p join outbox_events o on o.id = p.event_id where o.partition_key = $1`,
          [id],
        ),
      (rows) => rows.length === 2,
      10_000,
    );
    // Each group that reads contribution.succeeded parks it once on its own (the mail group too: lib/mail/consumer.ts).
    expect(parked.map((p) => p.group).sort()).toEqual(["campaign-totals", "mail"]);
    expect(parked[0]?.error).toMatch(/invalid payload/);
  });

  it("reports consumer lag in /api/health and Prometheus metrics in /api/metrics (to an admin)", async () => {
    const carol = await tokenFor("carol@example.com");
    const health = await api("/api/health", { token: carol });
    expect(Object.keys(health.body.consumers)).toEqual(expect.arrayContaining(["campaign-totals", "cache-invalidation"]));
    expect(Object.keys(health.body.consumers)).not.toContain("creator-balances");
    expect(health.body.consumers["campaign-totals"]).toMatchObject({ events: expect.any(Number), oldestMs: expect.any(Number) });
    const m = await api("/api/metrics", { token: carol });
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/crowdfund_events_processed_total\{group="campaign-totals",transport="postgres"\} \d+/);
    expect(m.text).toContain('crowdfund_consumer_lag_events{group="campaign-totals"}');
    expect(m.text).toContain("crowdfund_event_batch_size_bucket");
  });
});
