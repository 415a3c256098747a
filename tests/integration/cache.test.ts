import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { filesUnder } from "../support/assets";
import { startApp } from "../support/env";
import { api, signIn, tokenFor, validCampaign } from "../support/http";
import { contribute, waitFor } from "../support/payments";

describe("campaign reads through the caches", () => {
  it("serve public campaigns with a strong ETag, CDN headers and 304s; drafts stay private", async () => {
    const alice = await tokenFor("alice@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Cache me" }) })).body;
    const first = await api(`/api/campaigns/${id}`);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/); // strong: no W/ prefix
    expect(first.headers.get("cache-control")).toBe("public, max-age=0, s-maxage=1, stale-while-revalidate=5");
    const again = await api(`/api/campaigns/${id}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    expect((await api(`/api/campaigns/${id}`, { headers: { "if-none-match": '"other"' } })).status).toBe(200);

    const { id: draft } = (await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft" }) })).body;
    const mine = await api(`/api/campaigns/${draft}`, { token: alice });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("cache-control")).toBe("private, no-store");
    expect((await api(`/api/campaigns/${draft}`)).status).toBe(404);
    expect((await api("/api/me/campaigns", { token: alice })).headers.get("cache-control")).toContain("no-store");
  });

  it("show an edit at once and a contribution's total within about a second", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Before" }) })).body;
    await api(`/api/campaigns/${id}`); // warm the caches
    await api(`/api/campaigns/${id}`, { method: "PATCH", token: alice, json: { title: "After" } });
    expect((await api(`/api/campaigns/${id}`)).body.title).toBe("After");
    const paid = Date.now();
    await contribute(bob, id, { amount: 1500, currency: "USD" });
    const seen = await waitFor(
      async () => (await api(`/api/campaigns/${id}`)).body.collectedAmount,
      (v) => v === 1500,
      5000,
    );
    expect(seen).toBe(1500);
    console.log(`contribution visible in the cached read ${Date.now() - paid} ms after the payment request`);
  });

  it("keep answering correctly from the database when Redis is down", async () => {
    const app = await startApp(inject("databaseUrl"), { REDIS_URL: "redis://127.0.0.1:1" });
    try {
      const alice = await tokenFor("alice@example.com");
      const { id } = (
        await api("/api/campaigns", { base: app.baseUrl, token: alice, json: validCampaign({ title: "No Redis" }) })
      ).body;
      for (let i = 0; i < 3; i++) {
        const r = await api(`/api/campaigns/${id}`, { base: app.baseUrl });
        expect(r.status).toBe(200);
        expect(r.body.title).toBe("No Redis");
      }
      await api(`/api/campaigns/${id}`, { base: app.baseUrl, method: "PATCH", token: alice, json: { title: "Still no Redis" } });
      expect((await api(`/api/campaigns/${id}`, { base: app.baseUrl })).body.title).toBe("Still no Redis");
      const m = await api("/api/metrics", { base: app.baseUrl, token: await tokenFor("carol@example.com") });
      expect(m.text).toMatch(/crowdfund_campaign_cache_requests_total\{layer="l2",result="error"\} [1-9]/);
    } finally {
      await app.stop();
    }
  });
});

const root = path.resolve(import.meta.dirname, "../..");

describe("the campaign page", () => {
  const collectedIn = (html: string) => /data-testid="collected">([^<]*)</.exec(html)?.[1];

  it("is served to visitors without a session from the page cache, and shows a new total within a couple of seconds", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Page through the cache" }) })).body;
    const first = await api(`/campaigns/${id}`);
    expect(first.status).toBe(200);
    expect(collectedIn(first.text)).toBe("$0.00");
    expect(first.text).toContain("Sign in to contribute");
    const again = await api(`/campaigns/${id}`);
    expect(again.headers.get("x-nextjs-cache")).toBe("HIT"); // the same bytes for every visitor, not rendered again
    expect(again.headers.get("cache-control")).toBe("s-maxage=2, stale-while-revalidate=58");
    expect(again.text).toContain('rel="canonical"');
    // Cached in memory only: Next.js would otherwise write every campaign's page under .next and never delete it.
    expect((await filesUnder(path.join(root, ".next", "server"))).filter((f) => f.includes(id))).toEqual([]);

    await contribute(bob, id, { amount: 1500, currency: "USD" });
    // At most 2 s (revalidate) plus one background render: poll for up to 6 s on a loaded machine.
    const collected = async () => collectedIn((await api(`/campaigns/${id}`)).text);
    expect(await waitFor(collected, (v) => v === "$15.00", 6000)).toBe("$15.00");
  });

  it("is rendered for a signed-in viewer, never from the page cache: their header and the Contribute form", async () => {
    const alice = await tokenFor("alice@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Signed in" }) })).body;
    await api(`/campaigns/${id}`); // the signed-out view is cached now
    const cookie = await signIn("bob@example.com");
    for (let i = 0; i < 2; i++) {
      const bobs = await api(`/campaigns/${id}`, { cookie });
      expect(bobs.status).toBe(200);
      expect(bobs.headers.get("x-nextjs-cache")).toBeNull();
      expect(bobs.headers.get("cache-control")).toContain("no-store");
      expect(bobs.text).not.toContain("Sign in to contribute");
      expect(bobs.text).toContain('id="contribute-heading"');
      expect(bobs.text).toContain("Bob Example"); // the account menu
    }
  });

  it("shows an edit to visitors without a session at once (the instance that made it marks its page stale)", async () => {
    const alice = await tokenFor("alice@example.com");
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Before the edit" }) })).body;
    await api(`/campaigns/${id}`);
    expect((await api(`/campaigns/${id}`)).headers.get("x-nextjs-cache")).toBe("HIT");
    await api(`/api/campaigns/${id}`, { method: "PATCH", token: alice, json: { title: "After the edit" } });
    const page = await api(`/campaigns/${id}`);
    expect(page.text).toContain("After the edit");
    expect(page.text).not.toContain("Before the edit");
  });

  it("answers 404 for someone else's draft and shows it to its creator", async () => {
    const alice = await tokenFor("alice@example.com");
    const { id } = (
      await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft", title: "Secret draft" }) })
    ).body;
    expect((await api(`/campaigns/${id}`)).status).toBe(404);
    const bobs = await api(`/campaigns/${id}`, { cookie: await signIn("bob@example.com") });
    expect(bobs.status).toBe(404);
    expect(bobs.text).not.toContain("Secret draft");
    const mine = await api(`/campaigns/${id}`, { cookie: await signIn("alice@example.com") });
    expect(mine.status).toBe(200);
    expect(mine.text).toContain("Secret draft");
    expect(mine.text).toContain("Publish");
  });
});

describe("invalidation across instances (Redis pub/sub)", () => {
  it("an edit through one instance is visible at once through another that had it cached", async () => {
    // A one-minute L1 TTL on the other instance: only a pub/sub message can make it drop its copy in time.
    const other = await startApp(inject("databaseUrl"), { CACHE_L1_TTL_MS: "60000" });
    try {
      const alice = await tokenFor("alice@example.com");
      const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Shared v1" }) })).body;
      expect((await api(`/api/campaigns/${id}`, { base: other.baseUrl })).body.title).toBe("Shared v1"); // cached in other's L1
      await api(`/api/campaigns/${id}`, { method: "PATCH", token: alice, json: { title: "Shared v2" } }); // through the main instance
      const seen = await waitFor(
        async () => (await api(`/api/campaigns/${id}`, { base: other.baseUrl })).body.title,
        (t) => t === "Shared v2",
        10_000,
      );
      expect(seen).toBe("Shared v2");
    } finally {
      await other.stop();
    }
  });
});
