/**
 * The home page's listings (lib/campaigns/listing.ts): what they show on the real page, and that both queries
 * use their partial index (migration 0016), never a scan of campaigns, on a few thousand rows. Its own app and
 * database, so that other files' campaigns do not push this file's out of the newest six.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { nearlyFundedQuery, newestQuery } from "@/lib/campaigns/listing";
import { activeCampaign, api } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

let own: OwnApp;

beforeAll(async () => {
  own = await startOwnApp("listing", { SERVICES: "web,consumers,dispatcher" });
}, 120_000);

afterAll(() => own?.stop());

const home = async () => {
  const r = await fetch(`${own.app.baseUrl}/`);
  expect(r.status).toBe(200);
  return r.text();
};
/** The part of the home page inside the listing `id`'s section ("" when it is not shown). */
const section = (html: string, id: string) => {
  const at = html.indexOf(`data-testid="${id}"`);
  if (at < 0) return "";
  const end = html.indexOf("</section>", at);
  return html.slice(at, end);
};

describe("the home page's listings", () => {
  it("shows an active campaign, never a draft or a suspended one, and a 75 % funded one under Nearly funded", async () => {
    const base = own.app.baseUrl;
    const draft = await api("/api/campaigns", {
      base,
      token: own.alice,
      json: { title: "Listing draft", story: "Not yet", goalAmount: 10_000, currency: "USD", status: "draft" },
    });
    expect(draft.status).toBe(201);
    const suspended = await activeCampaign(own.alice, base, { title: "Listing suspended", goalAmount: 10_000 });
    const s = await api(`/api/campaigns/${suspended}`, {
      base,
      method: "PATCH",
      token: own.carol,
      json: { status: "suspended", reason: "Reported as a scam" },
    });
    expect(s.status, s.text).toBe(200);
    const nearly = await activeCampaign(own.alice, base, { title: "Listing nearly there", goalAmount: 10_000 });
    const gift = await api(`/api/campaigns/${nearly}/contributions`, {
      base,
      token: own.bob,
      json: { amount: 7500, currency: "USD", paymentMethod: "pm_card_visa" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(gift.status, gift.text).toBe(201);
    await waitFor(
      () => api(`/api/campaigns/${nearly}`, { base }),
      (r) => r.body.collectedAmount === 7500,
    );
    const fresh = await activeCampaign(own.alice, base, { title: "Listing just published" });

    // The listing is cached for a few seconds: wait until it was read after everything above.
    const html = await waitFor(home, (h) => section(h, "newest").includes(fresh), 20_000);
    const newest = section(html, "newest");
    expect(newest).toContain("Listing just published");
    expect(newest).toContain(`/campaigns/${nearly}`);
    expect(html).not.toContain(draft.body.id);
    expect(html).not.toContain(suspended);
    const nearlyFunded = section(html, "nearly-funded");
    expect(nearlyFunded).toContain(`/campaigns/${nearly}`);
    expect(nearlyFunded).toContain("75%");
    expect(nearlyFunded).not.toContain(fresh); // 0 % funded
  }, 60_000);

  it("reads both listings through their partial index on a few thousand campaigns, not a scan", async () => {
    // 3,000 campaigns, a third active, funded 0–69 % or 100 %+ (so they stay out of this file's other listing),
    // IDs below any UUIDv7 the app makes.
    await own.sql`
      insert into campaigns (id, creator_id, title, story, goal_amount, currency, status, collected_amount)
      select ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
             (select id from users where email = 'alice@example.com'), 'Bulk ' || g, 'A story', 10000, 'USD',
             (case when g % 3 = 0 then 'active' else 'draft' end)::campaign_status,
             case when g % 10 = 0 then 12000 else (g * 37) % 7000 end
      from generate_series(1, 3000) g`;
    await own.sql`analyze campaigns`;
    const { sql, db } = openDb(own.tdb.url, 1);
    try {
      for (const [name, index, q] of [
        ["newest", "campaigns_active_idx", newestQuery(db, 6)],
        ["nearly funded", "campaigns_funded_idx", nearlyFundedQuery(db, 6)],
      ] as const) {
        const { sql: text, params } = q.toSQL();
        const plan = (await sql.unsafe(`explain ${text}`, params as never[])).map((r) => r["QUERY PLAN"]).join("\n");
        expect(plan, `${name}:\n${plan}`).toContain(index);
        expect(plan, `${name}:\n${plan}`).not.toMatch(/Seq Scan on campaigns/);
      }
    } finally {
      await sql.end();
    }
  });
});
