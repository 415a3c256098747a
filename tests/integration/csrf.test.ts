/**
 * Cross-site request forgery (docs/security.md): every API write the session cookie authenticates — JSON, and
 * the multipart upload and body-less posts a form on another site can send without a CORS preflight — is
 * refused with 403 CROSS_ORIGIN_REQUEST when the browser says it comes from another site (Origin, or
 * Sec-Fetch-Site without Origin), and changes nothing; the same request from our own pages works, a bearer
 * token is unaffected, and so are webhooks. Real app over HTTP, its own database (the digest sees only it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { picture } from "../support/assets";
import { type ApiResult, activeCampaign, api, signIn } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";

let w: OwnApp;
let aliceCookie: string;
let carolCookie: string;
let campaignId: string;
let assetId: string;
let contributionId: string;
let tokenId: string;

const EVIL = "https://evil.example";

beforeAll(async () => {
  w = await startOwnApp("csrf", {});
  aliceCookie = await signIn("alice@example.com", "password", w.app.baseUrl);
  carolCookie = await signIn("carol@example.com", "password", w.app.baseUrl);
  campaignId = await activeCampaign(w.alice, w.app.baseUrl);
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(await picture("png"))], { type: "image/png" }), "a.png");
  const up = await api(`/api/campaigns/${campaignId}/assets`, { base: w.app.baseUrl, token: w.alice, body: form });
  expect(up.status, up.text).toBe(201);
  assetId = up.body.id;
  const c = await api(`/api/campaigns/${campaignId}/contributions`, {
    base: w.app.baseUrl,
    token: w.alice,
    json: { amount: 2500, currency: "USD", paymentMethod: "pm_card_visa" },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(c.status, c.text).toBe(201);
  contributionId = c.body.id;
  const t = await api("/api/me/tokens", { base: w.app.baseUrl, token: w.alice, json: { name: "to revoke" } });
  expect(t.status, t.text).toBe(201);
  tokenId = t.body.id;
}, 120_000);
afterAll(() => w?.stop());

/**
 * Everything these writes could change, as one hash per table. Of campaigns, what its creator and the admin set
 * (the totals are the event consumers' to move, at their own pace).
 */
async function digest(): Promise<string> {
  const tables = {
    campaigns: "select id, title, story, goal_amount, currency, status, closed_for_abuse_at from campaigns",
    assets: "select * from assets",
    contributions: "select * from contributions",
    refunds: "select * from refunds",
    api_tokens: "select * from api_tokens",
    payout_accounts: "select * from payout_accounts",
    idempotency_keys: "select * from idempotency_keys",
  };
  const parts = [];
  for (const [name, q] of Object.entries(tables)) {
    const [row] = await w.sql.unsafe(`select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as h from (${q}) t`);
    parts.push(`${name}:${row?.h}`);
  }
  return parts.join(" ");
}

/** A request a browser could make on the victim's behalf: the body a form (or fetch) would send. */
interface Write {
  name: string;
  method: string;
  path: () => string;
  body: () => Promise<BodyInit | undefined>;
  type?: string;
  /** Who may do it (close-for-abuse: the admin). */
  cookie?: () => string;
}

const json = (v: unknown) => async () => JSON.stringify(v);
const multipart = async () => {
  const f = new FormData();
  f.append("file", new Blob([new Uint8Array(await picture("png"))], { type: "image/png" }), "b.png");
  return f;
};

/** Every route taking the session cookie that changes something (app/api: requireUser on POST/PATCH/DELETE). */
const WRITES: Write[] = [
  { name: "upload an asset (multipart)", method: "POST", path: () => `/api/campaigns/${campaignId}/assets`, body: multipart },
  {
    name: "connect a payout account (no body)",
    method: "POST",
    path: () => "/api/me/payout-account",
    body: async () => undefined,
  },
  {
    name: "create a campaign (text/plain body)",
    method: "POST",
    path: () => "/api/campaigns",
    body: json({ title: "Forged", story: "A story long enough.", goalAmount: 1000, currency: "USD" }),
    type: "text/plain",
  },
  {
    name: "create a campaign",
    method: "POST",
    path: () => "/api/campaigns",
    body: json({ title: "Forged", story: "A story long enough.", goalAmount: 1000, currency: "USD" }),
  },
  { name: "edit a campaign", method: "PATCH", path: () => `/api/campaigns/${campaignId}`, body: json({ title: "Forged title" }) },
  {
    name: "reorder assets",
    method: "PATCH",
    path: () => `/api/campaigns/${campaignId}/assets`,
    body: async () => JSON.stringify({ order: [assetId] }),
  },
  {
    name: "ask for a direct upload",
    method: "POST",
    path: () => `/api/campaigns/${campaignId}/assets/uploads`,
    body: json({ size: 10 }),
  },
  {
    name: "complete a direct upload",
    method: "POST",
    path: () => `/api/campaigns/${campaignId}/assets/uploads/${crypto.randomUUID()}`,
    body: async () => undefined,
  },
  { name: "delete an asset", method: "DELETE", path: () => `/api/assets/${assetId}`, body: async () => undefined },
  {
    name: "contribute",
    method: "POST",
    path: () => `/api/campaigns/${campaignId}/contributions`,
    body: json({ amount: 1000, currency: "USD", paymentMethod: "pm_card_visa" }),
  },
  { name: "refund", method: "POST", path: () => `/api/contributions/${contributionId}/refunds`, body: json({}) },
  { name: "create an API token", method: "POST", path: () => "/api/me/tokens", body: json({ name: "forged" }) },
  { name: "revoke an API token", method: "DELETE", path: () => `/api/me/tokens/${tokenId}`, body: async () => undefined },
  {
    name: "close a campaign for abuse",
    method: "POST",
    path: () => `/api/campaigns/${campaignId}/close-for-abuse`,
    body: json({ reason: "Forged closure" }),
    cookie: () => carolCookie,
  },
];

async function send(wr: Write, headers: Record<string, string>, auth: { cookie?: string; token?: string }): Promise<ApiResult> {
  const body = await wr.body();
  const h: Record<string, string> = { "idempotency-key": crypto.randomUUID(), ...headers };
  if (typeof body === "string") h["content-type"] = wr.type ?? "application/json";
  return api(wr.path(), { base: w.app.baseUrl, method: wr.method, body, headers: h, ...auth });
}

describe("cookie-authenticated API writes from another site", () => {
  it("are each refused with 403 CROSS_ORIGIN_REQUEST (Origin of another site, an opaque Origin, or Sec-Fetch-Site without Origin) and change nothing", async () => {
    const before = await digest();
    const forged: Record<string, string>[] = [
      { origin: EVIL },
      { origin: "null" },
      { origin: "http://127.0.0.1:1" }, // same host, another port: another origin (same site)
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const wr of WRITES) {
      for (const headers of forged) {
        const r = await send(wr, headers, { cookie: wr.cookie?.() ?? aliceCookie });
        expect(r.status, `${wr.name} ${JSON.stringify(headers)}: ${r.text}`).toBe(403);
        expect(r.body).toEqual({ error: { code: "CROSS_ORIGIN_REQUEST", message: expect.any(String) } });
      }
    }
    expect(await digest()).toBe(before);
  });

  it("from our own pages (our Origin, or Sec-Fetch-Site same-origin) reach the route", async () => {
    const named = (name: string) => WRITES.find((x) => x.name === name) as Write;
    const ours = { origin: w.app.baseUrl };
    const upload = await send(named("upload an asset (multipart)"), ours, { cookie: aliceCookie });
    expect(upload.status, upload.text).toBe(201);
    const del = await send(named("delete an asset"), { "sec-fetch-site": "same-origin" }, { cookie: aliceCookie });
    expect(del.status, del.text).toBe(204);
    const revoke = await send(named("revoke an API token"), ours, { cookie: aliceCookie });
    expect(revoke.status, revoke.text).toBe(200);
    const payout = await send(named("connect a payout account (no body)"), ours, { cookie: aliceCookie });
    expect(payout.status, payout.text).toBe(201);
    const token = await send(named("create an API token"), { "sec-fetch-site": "same-origin" }, { cookie: aliceCookie });
    expect(token.status, token.text).toBe(201);
    const done = new Set(["upload an asset (multipart)", "delete an asset", "revoke an API token", "create an API token"]);
    for (const wr of WRITES) {
      if (wr.type === "text/plain" || done.has(wr.name)) continue; // (text/plain: the JSON routes' own 415)
      for (const headers of [ours, { "sec-fetch-site": "same-origin" }] as Record<string, string>[]) {
        const r = await send(wr, headers, { cookie: wr.cookie?.() ?? aliceCookie });
        expect(r.status, `${wr.name} ${JSON.stringify(headers)}: ${r.text}`).not.toBe(403);
        expect(r.status, `${wr.name}: ${r.text}`).toBeLessThan(500);
      }
    }
  });

  it("with a bearer token are unaffected, whatever Origin says", async () => {
    const r = await api("/api/me/tokens", {
      base: w.app.baseUrl,
      token: w.alice,
      json: { name: "from a third-party client" },
      headers: { origin: EVIL, "sec-fetch-site": "cross-site" },
    });
    expect(r.status, r.text).toBe(201);
    const open = await activeCampaign(w.alice, w.app.baseUrl); // (the one above was closed for abuse)
    const form = await multipart();
    const up = await api(`/api/campaigns/${open}/assets`, {
      base: w.app.baseUrl,
      token: w.alice,
      body: form,
      headers: { origin: EVIL },
    });
    expect(up.status, up.text).toBe(201);
  });

  it("reads (GET) with the cookie from anywhere are not refused", async () => {
    const r = await api("/api/me/campaigns", { base: w.app.baseUrl, cookie: aliceCookie, headers: { origin: EVIL } });
    expect(r.status, r.text).toBe(200);
  });

  it("leaves the provider's webhook alone: a bad signature is its 400, never CROSS_ORIGIN_REQUEST", async () => {
    const r = await api("/api/webhooks/stripe", {
      base: w.app.baseUrl,
      method: "POST",
      body: "{}",
      headers: { origin: EVIL, "content-type": "application/json", "stripe-signature": "t=1,v1=00" },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe("INVALID_SIGNATURE");
  });
});
