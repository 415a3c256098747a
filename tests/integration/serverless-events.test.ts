/**
 * Totals where nothing runs in the background (Vercel): the app with its in-process consumers off
 * applies a campaign's new total in `after()` once a payment settles, and `GET /api/cron/events`
 * (Bearer CRON_SECRET, refused without it) applies whatever is left. Nothing else consumes events here.
 */
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "@/lib/events/partition";
import { type AppServer, provisionDatabase, startApp, type TestDatabase } from "../support/env";
import { api, activeCampaign as publish, tokenFor } from "../support/http";
import { waitFor } from "../support/wait";

const CRON_SECRET = "test-cron-secret-for-events-0123";
let tdb: TestDatabase;
let app: AppServer;
let sql: postgres.Sql;
let alice: string;
let bob: string;

const totalOf = async (id: string) => (await api(`/api/campaigns/${id}`, { base: app.baseUrl })).body;

beforeAll(async () => {
  tdb = await provisionDatabase("serverless");
  sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
  app = await startApp(tdb.url, {
    SERVICES: "web",
    EVENT_DRAIN_AFTER_SETTLE: "true",
    CRON_SECRET,
    CACHE_L1_TTL_MS: "1",
  });
  alice = await tokenFor("alice@example.com", tdb.url);
  bob = await tokenFor("bob@example.com", tdb.url);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await sql?.end();
  await tdb?.drop();
}, 60_000);

const activeCampaign = () => publish(alice, app.baseUrl);

describe("events without background consumers", () => {
  it("a settled contribution moves the total within seconds, through after()", async () => {
    const id = await activeCampaign();
    const r = await api(`/api/campaigns/${id}/contributions`, {
      base: app.baseUrl,
      token: bob,
      json: { amount: 4200, currency: "USD", paymentMethod: "pm_card_visa" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe("succeeded");
    const c = await waitFor(
      () => totalOf(id),
      (x) => x.collectedAmount === 4200,
      5000,
      50,
    );
    expect(c).toMatchObject({ collectedAmount: 4200, contributionCount: 1 });
  });

  it("GET /api/cron/events refuses a missing or wrong secret and applies what is pending with the right one", async () => {
    const id = await activeCampaign();
    const [{ creator_id } = { creator_id: "" }] = await sql<
      { creator_id: string }[]
    >`select creator_id from campaigns where id = ${id}`;
    // Two succeeded contributions recorded with their events, as a webhook would; no consumer runs.
    await sql.begin(async (tx) => {
      for (const amount of [1500, 2500]) {
        const cid = uuidv7();
        await tx`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method, provider, settled_at)
                 values (${cid}, ${id}, ${creator_id}, ${amount}, 'USD', 'succeeded', 'pm_card_visa', 'test', now())`;
        await tx`insert into outbox_events (id, type, partition_key, partition, payload)
                 values (${uuidv7()}, 'contribution.succeeded', ${id}, ${partitionOf(id, 16)},
                         ${tx.json({ contributionId: cid, campaignId: id, amount, currency: "USD" })})`;
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await totalOf(id)).collectedAmount).toBe(0); // nothing applies events on its own here

    const none = await api("/api/cron/events", { base: app.baseUrl });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("UNAUTHENTICATED");
    const wrong = await api("/api/cron/events", {
      base: app.baseUrl,
      headers: { authorization: "Bearer not-the-secret-at-all" },
    });
    expect(wrong.status).toBe(401);
    expect((await totalOf(id)).collectedAmount).toBe(0);

    const ok = await api("/api/cron/events", { base: app.baseUrl, headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(ok.status).toBe(200);
    expect(ok.body.drained).toMatchObject({ caughtUp: true, failed: 0 });
    expect(ok.body.drained.events).toBeGreaterThanOrEqual(2);
    const [row] = await sql`select collected_amount::int as total, contribution_count as n from campaigns where id = ${id}`;
    expect(row, JSON.stringify(ok.body)).toEqual({ total: 4000, n: 2 }); // in the database at once
    const c = await waitFor(
      () => totalOf(id),
      (x) => x.collectedAmount === 4000,
      3000,
      50,
    );
    expect(c).toMatchObject({ collectedAmount: 4000, contributionCount: 2 });

    const again = await api("/api/cron/events", { base: app.baseUrl, headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(again.body.drained).toMatchObject({ events: 0, caughtUp: true });
    expect((await totalOf(id)).collectedAmount).toBe(4000); // applied once
    const post = await api("/api/cron/events", { base: app.baseUrl, method: "POST" });
    expect(post.status).toBe(405);
  });
});
