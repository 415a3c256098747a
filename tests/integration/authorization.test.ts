import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { picture, upload } from "../support/assets";
import { diff, quietSnapshot, snapshot } from "../support/fuzz";
import { api, signIn, tokenFor, validCampaign } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";

/**
 * The authorization matrix (docs/security.md, "Authorization matrix"): every mutating route of app/api and
 * every server action of app/actions × {anonymous, another user, the owner, an admin}, with the answer
 * each one must get, from the one table MATRIX below. A route or action without a row fails the first two
 * tests, so a new one cannot ship without its row. A refused cell must also have changed nothing.
 *
 * Who is who: alice owns the campaigns, assets and tokens aimed at; bob is another user; carol is the
 * admin; dave (added here) is the donor of the contribution refunds are aimed at.
 */
const root = path.resolve(import.meta.dirname, "../..");
const ACTORS = ["anonymous", "other", "owner", "admin"] as const;
type Actor = (typeof ACTORS)[number];

/** An answer: a route's HTTP status, or a server action's outcome ("ok", "redirect", or its error code). */
type Outcome = number | string;

interface World {
  own: OwnApp;
  base: string;
  token: Record<Actor, string | undefined>;
  cookie: Record<Actor, string | undefined>;
  dave: string;
  /** A campaign of alice's whose page the actions of campaign pages are posted to. */
  pageCampaign: string;
  /** Server action IDs by "file#export", and a page each one can be posted to. */
  actions: Record<string, { id: string; page: string }>;
}

interface Row {
  /** A route: its expected HTTP status per actor; an action: "ok", "redirect" or the error code. */
  expect: Record<Actor, Outcome>;
  /** Make a fresh target for one cell (before the snapshot the cell is compared with). */
  prepare?: (w: World) => Promise<any>;
  /** Send the request as `actor` at the target `prepare` made; answers the outcome. */
  send: (w: World, actor: Actor, target: any) => Promise<Outcome>;
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures: a fresh target per cell, so that one cell's success never changes another's answer.

async function ok<T = any>(r: Promise<{ status: number; body: any; text: string }>, what: string): Promise<T> {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.body as T;
}

async function aliceCampaign(w: World, status: "active" | "draft" = "active"): Promise<string> {
  const c = await ok(api("/api/campaigns", { base: w.base, token: w.token.owner, json: validCampaign({ status }) }), "campaign");
  return c.id;
}

async function aliceAsset(w: World): Promise<{ campaign: string; asset: string }> {
  const campaign = await aliceCampaign(w);
  const a = await ok(upload(campaign, await picture("png"), { token: w.token.owner, base: w.base }), "upload");
  return { campaign, asset: a.id };
}

async function aliceToken(w: World): Promise<string> {
  return (await ok(api("/api/me/tokens", { base: w.base, token: w.token.owner, json: { name: "target" } }), "token")).id;
}

/** An open report of bob's on a campaign of alice's. */
async function bobsReport(w: World): Promise<string> {
  const campaign = await aliceCampaign(w);
  return (
    await ok(
      api(`/api/campaigns/${campaign}/reports`, { base: w.base, token: w.token.other, json: { reason: "spam" } }),
      "report",
    )
  ).id;
}

/** A settled contribution of dave's to a campaign of alice's. */
async function davesContribution(w: World): Promise<string> {
  const campaign = await aliceCampaign(w);
  const c = await ok(
    api(`/api/campaigns/${campaign}/contributions`, {
      base: w.base,
      token: w.dave,
      json: { amount: 5000, currency: "USD" },
      headers: { "idempotency-key": crypto.randomUUID() },
    }),
    "contribution",
  );
  // settled, and counted in the campaign's total by the consumers, so that nothing moves during the cell
  for (let i = 0; i < 150; i++) {
    const now = await api(`/api/contributions/${c.id}`, { base: w.base, token: w.dave });
    const total = await api(`/api/campaigns/${campaign}`, { base: w.base });
    if (now.body.status === "succeeded" && total.body.contributionCount === 1) return c.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the contribution did not settle");
}

// ---------------------------------------------------------------------------------------------------------
// Sending

async function route(
  w: World,
  actor: Actor,
  method: string,
  p: string,
  opts: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<Outcome> {
  const r = await api(p, { base: w.base, method, token: w.token[actor], ...opts });
  return r.status;
}

/**
 * Call server action `key` as a browser's fetch does (Next-Action header, arguments as React encodes a form:
 * field "0" the argument list, the form's fields prefixed "_1_"), posted to the page whose form holds it, with
 * the actor's session cookie. Answers "ok", "redirect", "NOT_FOUND" (notFound()), "SIGN_IN" (the proxy's
 * sign-in gate of private pages sent the request to /signin), or the error code of `{ ok: false, error }`.
 */
async function action(
  w: World,
  actor: Actor,
  key: string,
  fields: Record<string, string>,
  args = '["$undefined","$K1"]',
): Promise<Outcome> {
  const a = w.actions[key];
  if (!a) throw new Error(`no server action ${key} in the build`);
  // the form's entries before the argument list, as React's encodeReply sends them: the server decodes the
  // list as soon as it arrives, and a form entry after it would be missing from the action's FormData
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(`_1_${k}`, v);
  form.append("0", args);
  const headers: Record<string, string> = { "next-action": a.id, accept: "text/x-component" };
  const cookie = w.cookie[actor];
  if (cookie) headers.cookie = cookie;
  const res = await fetch(w.base + a.page.replace("{id}", w.pageCampaign), {
    method: "POST",
    headers,
    body: form,
    redirect: "manual",
  });
  const text = await res.text();
  const location = res.headers.get("x-action-redirect") ?? res.headers.get("location");
  // to sign in, unless it is "Sign out everywhere" landing there on success
  if ((location?.startsWith("/signin") || location?.includes("/signin?")) && !location.includes("signedOut=")) return "SIGN_IN";
  if (location || (res.status >= 300 && res.status < 400)) return "redirect";
  if (res.status === 404) return "NOT_FOUND";
  if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 200)}`;
  const m = /"ok":(true|false)(?:,"error":\{"code":"([A-Z_]+)")?/.exec(text);
  if (!m) return `unparsed: ${text.slice(0, 300)}`;
  return m[1] === "true" ? "ok" : (m[2] as string);
}

// ---------------------------------------------------------------------------------------------------------
// THE MATRIX: every mutating route ("METHOD /api/path") and server action ("file#export").

const all = (o: Outcome): Record<Actor, Outcome> => ({ anonymous: o, other: o, owner: o, admin: o });
const signedIn = (o: Outcome, anonymous: Outcome): Record<Actor, Outcome> => ({ anonymous, other: o, owner: o, admin: o });

const EMAILS: Record<Exclude<Actor, "anonymous">, string> = {
  other: "bob@example.com",
  owner: "alice@example.com",
  admin: "carol@example.com",
};

/** "Sign out everywhere" ended the actor's session cookies: a fresh sign-in for the cells after it. */
async function signInAgain(w: World, actor: Actor): Promise<void> {
  if (actor !== "anonymous") w.cookie[actor] = await signIn(EMAILS[actor], "password", w.base);
}

const MATRIX: Record<string, Row> = {
  "POST /api/campaigns": {
    expect: signedIn(201, 401),
    send: (w, a) => route(w, a, "POST", "/api/campaigns", { json: validCampaign() }),
  },
  "PATCH /api/campaigns/{id}": {
    expect: { anonymous: 401, other: 403, owner: 200, admin: 403 },
    prepare: aliceCampaign,
    send: (w, a, id) => route(w, a, "PATCH", `/api/campaigns/${id}`, { json: { title: "A new title" } }),
  },
  "POST /api/campaigns/{id}/close-for-abuse": {
    expect: { anonymous: 401, other: 403, owner: 403, admin: 202 },
    prepare: aliceCampaign,
    send: (w, a, id) => route(w, a, "POST", `/api/campaigns/${id}/close-for-abuse`, { json: { reason: "A scam" } }),
  },
  "POST /api/campaigns/{id}/reports": {
    // anyone signed in but the campaign's creator (docs/moderation.md)
    expect: { anonymous: 401, other: 201, owner: 403, admin: 201 },
    prepare: aliceCampaign,
    send: (w, a, id) => route(w, a, "POST", `/api/campaigns/${id}/reports`, { json: { reason: "spam" } }),
  },
  "POST /api/campaigns/{id}/contributions": {
    expect: signedIn(201, 401),
    prepare: aliceCampaign,
    send: (w, a, id) =>
      route(w, a, "POST", `/api/campaigns/${id}/contributions`, {
        json: { amount: 1000, currency: "USD" },
        headers: { "idempotency-key": crypto.randomUUID() },
      }),
  },
  "POST /api/campaigns/{id}/updates": {
    // the creator speaks for the campaign; admins moderate it but do not post for it
    expect: { anonymous: 401, other: 403, owner: 201, admin: 403 },
    prepare: aliceCampaign,
    send: (w, a, id) => route(w, a, "POST", `/api/campaigns/${id}/updates`, { json: { body: "We dug ten metres." } }),
  },
  "POST /api/campaigns/{id}/assets": {
    expect: { anonymous: 401, other: 403, owner: 201, admin: 403 },
    prepare: aliceCampaign,
    send: async (w, a, id) => (await upload(id, await picture("png"), { token: w.token[a], base: w.base })).status,
  },
  "PATCH /api/campaigns/{id}/assets": {
    expect: { anonymous: 401, other: 403, owner: 200, admin: 403 },
    prepare: aliceAsset,
    send: (w, a, t) => route(w, a, "PATCH", `/api/campaigns/${t.campaign}/assets`, { json: { order: [t.asset] } }),
  },
  "POST /api/campaigns/{id}/assets/uploads": {
    expect: { anonymous: 401, other: 403, owner: 200, admin: 403 },
    prepare: aliceCampaign,
    send: (w, a, id) => route(w, a, "POST", `/api/campaigns/${id}/assets/uploads`, { json: { size: 1000 } }),
  },
  "POST /api/campaigns/{id}/assets/uploads/{uploadId}": {
    // a forged completion token is a 404 for everyone signed in; with disk storage no presigned upload exists
    // for the owner to complete (S3's are in assets.test.ts)
    expect: { anonymous: 401, other: 404, owner: 404, admin: 404 },
    prepare: aliceCampaign,
    send: (w, a, id) => route(w, a, "POST", `/api/campaigns/${id}/assets/uploads/${crypto.randomUUID()}?token=1.forged`),
  },
  "DELETE /api/assets/{id}": {
    expect: { anonymous: 401, other: 403, owner: 204, admin: 403 },
    prepare: aliceAsset,
    send: (w, a, t) => route(w, a, "DELETE", `/api/assets/${t.asset}`),
  },
  "POST /api/contributions/{id}/refunds": {
    expect: { anonymous: 401, other: 404, owner: 201, admin: 201 },
    prepare: davesContribution,
    send: (w, a, id) =>
      route(w, a, "POST", `/api/contributions/${id}/refunds`, {
        json: { amount: 1000, reason: "Asked for it back" },
        headers: { "idempotency-key": crypto.randomUUID() },
      }),
  },
  "POST /api/me/tokens": {
    expect: signedIn(201, 401),
    send: (w, a) => route(w, a, "POST", "/api/me/tokens", { json: { name: "mine" } }),
  },
  "DELETE /api/me/tokens/{id}": {
    expect: { anonymous: 401, other: 404, owner: 200, admin: 404 },
    prepare: aliceToken,
    send: (w, a, id) => route(w, a, "DELETE", `/api/me/tokens/${id}`),
  },
  "DELETE /api/me/sessions": {
    // only ever the caller's own sessions: there is no one else to aim at
    expect: signedIn(200, 401),
    send: async (w, a) => {
      const status = await route(w, a, "DELETE", "/api/me/sessions");
      await signInAgain(w, a);
      return status;
    },
  },
  "POST /api/me/payout-account": {
    expect: signedIn(201, 401),
    send: (w, a) => route(w, a, "POST", "/api/me/payout-account"),
  },
  "POST /api/webhooks/stripe": {
    // authenticated by its signature only: without one it is refused whoever calls
    expect: all(400),
    send: (w, a) =>
      route(w, a, "POST", "/api/webhooks/stripe", {
        body: JSON.stringify({ id: "evt_x", type: "payment_intent.succeeded", data: { object: {} } }),
        headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=00" },
      }),
  },
  "POST /api/unsubscribe": {
    // authenticated by its signed token only (docs/mail.md): a bad one is refused whoever calls, session or not
    expect: all(400),
    send: (w, a) =>
      route(w, a, "POST", "/api/unsubscribe?token=n.00000000-0000-4000-8000-000000000000.forged", {
        body: "List-Unsubscribe=One-Click",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
  },
  "POST /api/auth/{...nextauth}": {
    // next-auth's sign-in: a wrong password is refused whoever calls (the session does not matter)
    expect: all(401),
    send: async (w, a) => {
      const csrf = await fetch(`${w.base}/api/auth/csrf`);
      const { csrfToken } = (await csrf.json()) as { csrfToken: string };
      const jar = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
      const cookie = [...jar, ...(w.cookie[a] ? [w.cookie[a]] : [])].join("; ");
      const r = await fetch(`${w.base}/api/auth/callback/password`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie },
        body: new URLSearchParams({ csrfToken, email: "alice@example.com", password: "wrong", json: "true" }),
      });
      return r.status;
    },
  },
  "POST /api/uploadthing": {
    // only with UPLOADTHING_TOKEN; here (disk storage) it is a 404 whoever calls
    expect: all(404),
    send: (w, a) => route(w, a, "POST", "/api/uploadthing?actionType=upload&slug=campaignAsset", { json: { files: [] } }),
  },

  // Server actions: a session cookie, never a bearer token. Those of private pages (proxy.ts PRIVATE_PAGES)
  // send an anonymous caller to the sign-in page before the action runs; the others answer UNAUTHENTICATED.
  "campaigns#createCampaignAction": {
    expect: signedIn("redirect", "SIGN_IN"),
    send: (w, a) =>
      action(w, a, "campaigns#createCampaignAction", {
        title: "Made by a form",
        story: "Story",
        goal: "100",
        currency: "USD",
        publish: "on",
      }),
  },
  "campaigns#editCampaignAction": {
    // only the creator edits content (the API's rule); a success redirects to the campaign
    expect: { anonymous: "SIGN_IN", other: "FORBIDDEN", owner: "redirect", admin: "FORBIDDEN" },
    prepare: aliceCampaign,
    send: (w, a, id) =>
      action(w, a, "campaigns#editCampaignAction", {
        campaignId: id,
        title: "Edited by a form",
        story: "Story",
        goal: "100",
        endsAt: "",
      }),
  },
  "campaigns#changeCampaignStatusAction": {
    // an admin may suspend and reinstate (tests/integration/abuse.test.ts), never end someone's campaign
    expect: { anonymous: "UNAUTHENTICATED", other: "FORBIDDEN", owner: "ok", admin: "INVALID_STATUS_TRANSITION" },
    prepare: aliceCampaign,
    send: (w, a, id) => action(w, a, "campaigns#changeCampaignStatusAction", { campaignId: id, status: "ended" }),
  },
  "campaigns#closeCampaignForAbuseAction": {
    expect: { anonymous: "UNAUTHENTICATED", other: "FORBIDDEN", owner: "FORBIDDEN", admin: "ok" },
    prepare: aliceCampaign,
    send: (w, a, id) => action(w, a, "campaigns#closeCampaignForAbuseAction", { campaignId: id, reason: "A scam" }),
  },
  "updates#postUpdateAction": {
    expect: { anonymous: "UNAUTHENTICATED", other: "FORBIDDEN", owner: "ok", admin: "FORBIDDEN" },
    prepare: aliceCampaign,
    send: (w, a, id) => action(w, a, "updates#postUpdateAction", { campaignId: id, body: "Posted by a form." }),
  },
  "assets#reorderAssetsAction": {
    expect: { anonymous: "SIGN_IN", other: "FORBIDDEN", owner: "ok", admin: "FORBIDDEN" },
    prepare: aliceAsset,
    send: (w, a, t) => action(w, a, "assets#reorderAssetsAction", { campaignId: t.campaign, order: t.asset }),
  },
  "assets#removeAssetAction": {
    expect: { anonymous: "SIGN_IN", other: "FORBIDDEN", owner: "ok", admin: "FORBIDDEN" },
    prepare: aliceAsset,
    send: (w, a, t) => action(w, a, "assets#removeAssetAction", { assetId: t.asset }),
  },
  "tokens#createTokenAction": {
    expect: signedIn("ok", "SIGN_IN"),
    send: (w, a) => action(w, a, "tokens#createTokenAction", { name: "from a form" }),
  },
  "tokens#revokeTokenAction": {
    expect: { anonymous: "SIGN_IN", other: "TOKEN_NOT_FOUND", owner: "ok", admin: "TOKEN_NOT_FOUND" },
    prepare: aliceToken,
    send: (w, a, id) => action(w, a, "tokens#revokeTokenAction", { tokenId: id }),
  },
  "sessions#signOutEverywhereAction": {
    expect: signedIn("redirect", "SIGN_IN"),
    send: async (w, a) => {
      const outcome = await action(w, a, "sessions#signOutEverywhereAction", {});
      await signInAgain(w, a);
      return outcome;
    },
  },
  "notifications#setDonationNoticeAction": {
    // each signed-in user sets their own choice (to the default, so that other cells see nothing change)
    expect: signedIn("ok", "SIGN_IN"),
    send: (w, a) => action(w, a, "notifications#setDonationNoticeAction", { donationNotice: "each" }),
  },
  "payouts#connectPayoutAccountAction": {
    expect: signedIn("redirect", "SIGN_IN"),
    send: (w, a) => action(w, a, "payouts#connectPayoutAccountAction", {}),
  },
  "contributions#contributeAction": {
    expect: signedIn("ok", "UNAUTHENTICATED"),
    prepare: aliceCampaign,
    send: (w, a, id) =>
      action(w, a, "contributions#contributeAction", {
        campaignId: id,
        idempotencyKey: crypto.randomUUID(),
        amount: "10",
        currency: "USD",
        paymentMethod: "pm_card_visa",
      }),
  },
  "refunds#refundAction": {
    expect: { anonymous: "SIGN_IN", other: "CONTRIBUTION_NOT_FOUND", owner: "ok", admin: "ok" },
    prepare: davesContribution,
    send: (w, a, id) =>
      action(w, a, "refunds#refundAction", {
        intent: "confirm",
        contributionId: id,
        amountMinor: "1000",
        reason: "Asked for it back",
        idempotencyKey: crypto.randomUUID(),
      }),
  },
  "moderation#reportCampaignAction": {
    expect: { anonymous: "UNAUTHENTICATED", other: "ok", owner: "FORBIDDEN", admin: "ok" },
    prepare: aliceCampaign,
    send: (w, a, id) => action(w, a, "moderation#reportCampaignAction", { campaignId: id, reason: "fraud", details: "" }),
  },
  "moderation#moderateCampaignAction": {
    // the /admin queue: admins only, whoever created the campaign
    expect: { anonymous: "SIGN_IN", other: "FORBIDDEN", owner: "FORBIDDEN", admin: "ok" },
    prepare: aliceCampaign,
    send: (w, a, id) =>
      action(w, a, "moderation#moderateCampaignAction", { campaignId: id, decision: "suspend", reason: "A scam" }),
  },
  "moderation#dismissReportAction": {
    expect: { anonymous: "SIGN_IN", other: "FORBIDDEN", owner: "FORBIDDEN", admin: "ok" },
    prepare: bobsReport,
    send: (w, a, id) => action(w, a, "moderation#dismissReportAction", { reportId: id, note: "" }),
  },
  "sandbox#sandboxAuthenticateAction": {
    // authorized by the payment's client secret, not the session: a wrong one is a 404 whoever calls
    expect: all("NOT_FOUND"),
    send: (w, a) =>
      action(
        w,
        a,
        "sandbox#sandboxAuthenticateAction",
        { paymentIntent: "pi_sandbox_unknown", clientSecret: "pi_sandbox_unknown_secret_x", outcome: "complete" },
        '["$K1"]',
      ),
  },
};

// ---------------------------------------------------------------------------------------------------------
// Enumeration: what exists must have a row.

/** "METHOD /api/path" of every route handler in app/api that may change something (not a JSON 405 or 404). */
async function mutatingRoutes(): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name === "route.ts") {
        const src = await readFile(p, "utf8");
        const url = `/${path.relative(path.join(root, "app"), dir)}`.replace(/\[([^\]]+)\]/g, "{$1}");
        if (url === "/api/{...path}") continue; // the catch-all: a JSON 404 for every method
        const methods = new Set<string>();
        for (const m of src.matchAll(/export\s+(?:const|async function|function)\s+(POST|PUT|PATCH|DELETE)\b/g))
          methods.add(m[1] as string);
        for (const m of src.matchAll(/\bas\s+(POST|PUT|PATCH|DELETE)\b/g)) methods.add(m[1] as string);
        for (const m of src.matchAll(/export\s+const\s+\{([^}]*)\}\s*=\s*(\w+)/g)) {
          if (m[2] !== "methodNotAllowed") for (const name of (m[1] as string).split(",")) methods.add(name.trim());
        }
        for (const method of methods) if (["POST", "PUT", "PATCH", "DELETE"].includes(method)) out.push(`${method} ${url}`);
      }
    }
  }
  await walk(path.join(root, "app", "api"));
  return out.sort();
}

/** "file#export" of every server action (exported function of app/actions/*.ts). */
async function serverActions(): Promise<string[]> {
  const out: string[] = [];
  for (const f of await readdir(path.join(root, "app", "actions"))) {
    if (!f.endsWith(".ts")) continue;
    const src = await readFile(path.join(root, "app", "actions", f), "utf8");
    for (const m of src.matchAll(/export\s+(?:async\s+)?(?:function\s+(\w+)|const\s+(\w+))/g)) {
      out.push(`${f.replace(/\.ts$/, "")}#${m[1] ?? m[2]}`);
    }
  }
  return out.sort();
}

/** Server action IDs from the build's manifest, each with a page whose form holds it (`{id}`: a campaign's). */
async function actionIds(): Promise<Record<string, { id: string; page: string }>> {
  const manifest = JSON.parse(await readFile(path.join(root, ".next/server/server-reference-manifest.json"), "utf8"));
  const out: Record<string, { id: string; page: string }> = {};
  for (const [id, entry] of Object.entries(manifest.node as Record<string, any>)) {
    const file = String(entry.filename ?? "");
    const m = /app\/actions\/(\w+)\.ts$/.exec(file);
    if (!m || !entry.exportedName) continue;
    const pages = Object.keys(entry.workers ?? {})
      .filter((k) => k.startsWith("app/") && k.endsWith("/page"))
      // app/(site)/campaigns/[id]/edit/page → /campaigns/{id}/edit: route groups are not in the URL.
      .map(
        (k) =>
          k
            .slice(3, -5)
            .replace(/\/\([^)]+\)/g, "")
            .replace(/\[[^\]]+\]/g, "{id}") || "/",
      )
      .sort();
    out[`${m[1]}#${entry.exportedName}`] = { id, page: pages[0] ?? "/" };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

let w: World;

beforeAll(async () => {
  const own = await startOwnApp("authz", { RATE_LIMIT_MAX: "1000000", RATE_LIMIT_PREFIX: `cf:rl:authz:${Date.now()}` });
  await own.sql`insert into users (id, email, name, role, password_hash)
    select gen_random_uuid(), 'dave@example.com', 'Dave Example', 'user', password_hash from users where email = 'alice@example.com'`;
  const base = own.app.baseUrl;
  const [bobCookie, aliceCookie, carolCookie, dave] = await Promise.all([
    signIn("bob@example.com", "password", base),
    signIn("alice@example.com", "password", base),
    signIn("carol@example.com", "password", base),
    tokenFor("dave@example.com", own.tdb.url),
  ]);
  w = {
    own,
    base,
    token: { anonymous: undefined, other: own.bob, owner: own.alice, admin: own.carol },
    cookie: { anonymous: undefined, other: bobCookie, owner: aliceCookie, admin: carolCookie },
    dave,
    pageCampaign: "",
    actions: await actionIds(),
  };
  w.pageCampaign = await aliceCampaign(w);
}, 180_000);

afterAll(async () => {
  await w?.own.stop();
});

describe("the authorization matrix", () => {
  it("has a row for every mutating route of app/api, and no row for a route that does not exist", async () => {
    const rows = Object.keys(MATRIX).filter((k) => k.includes(" "));
    expect(rows.sort()).toEqual(await mutatingRoutes());
  });

  it("has a row for every server action of app/actions, and each is in the build", async () => {
    const rows = Object.keys(MATRIX).filter((k) => k.includes("#"));
    const actions = await serverActions();
    expect(rows.sort()).toEqual(actions);
    for (const a of actions) expect(Object.keys(w.actions)).toContain(a);
  });

  it("has a row for every mutating operation of the OpenAPI document", async () => {
    const doc = (await api("/api/openapi.json", { base: w.base })).body;
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => ["post", "put", "patch", "delete"].includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    for (const op of ops) expect(Object.keys(MATRIX)).toContain(op);
  });

  for (const [key, row] of Object.entries(MATRIX)) {
    it(`${key}: ${ACTORS.map((a) => `${a} ${row.expect[a]}`).join(", ")}; refusals change nothing`, async () => {
      const got: Partial<Record<Actor, Outcome>> = {};
      const changes: string[] = [];
      for (const actor of ACTORS) {
        const expected = row.expect[actor];
        const refused = typeof expected === "number" ? expected >= 400 : !["ok", "redirect"].includes(expected);
        const target = await row.prepare?.(w);
        const before = refused ? await quietSnapshot(w.own.sql) : undefined;
        got[actor] = await row.send(w, actor, target).catch((e: Error) => `threw: ${e.message}`);
        if (before) for (const d of diff(before, await snapshot(w.own.sql))) changes.push(`${actor}: ${d}`);
      }
      expect(got).toEqual(row.expect);
      expect(changes, "a refused request changed something").toEqual([]);
    }, 120_000);
  }
});
