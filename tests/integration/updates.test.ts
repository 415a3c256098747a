import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "@/db/client";
import { picture, upload } from "../support/assets";
import { api, baseUrl, signIn, tokenFor, validCampaign } from "../support/http";

/** Campaign updates (docs/updates.md): the API, the campaign page's form, the cached page, the donors' opt-in. */

const { sql } = openDb(inject("databaseUrl"), 2);
let alice: string;
let bob: string;
let carol: string;
let aliceCookie: string;

beforeAll(async () => {
  [alice, bob, carol, aliceCookie] = await Promise.all([
    tokenFor("alice@example.com"),
    tokenFor("bob@example.com"),
    tokenFor("carol@example.com"),
    signIn("alice@example.com"),
  ]);
});

afterAll(async () => {
  await sql.end();
});

async function campaign(over: Record<string, unknown> = {}): Promise<string> {
  const c = await api("/api/campaigns", { token: alice, json: validCampaign(over) });
  expect(c.status).toBe(201);
  return c.body.id;
}

const post = (id: string, json: unknown, token = alice) => api(`/api/campaigns/${id}/updates`, { token, json });
const updatesOf = async (id: string) => (await sql`select * from campaign_updates where campaign_id = ${id}`).length;

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** The hidden fields of the form labelled `label` on `html` (the server action's ID among them), as a browser posts them. */
function formOf(html: string, label: string): FormData {
  const form = new RegExp(`<form[^>]*aria-label="${label}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1] ?? "";
  const body = new FormData();
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)) {
    body.append(decode(m[1] as string), decode(m[2] ?? ""));
  }
  if (![...body.keys()].some((k) => /^\$ACTION_/.test(k))) throw new Error(`no server action in the form:\n${form}`);
  return body;
}

describe("campaign updates", () => {
  it("lets the creator post one with a picture of the campaign; it is listed first, with its event, and shown at once on the cached page", async () => {
    const id = await campaign();
    const pic = await upload(id, await picture("png"), { token: alice });
    expect(pic.status).toBe(201);
    // the signed-out page is rendered and cached before the update exists
    expect((await api(`/campaigns/${id}`)).text).not.toContain("We reached ten metres");

    const first = await post(id, { body: "Digging started today." });
    expect(first.status).toBe(201);
    const second = await post(id, { body: "We reached ten metres.\nWater soon!", assetId: pic.body.id });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({
      campaignId: id,
      body: "We reached ten metres.\nWater soon!",
      author: { name: "Alice Example" },
      picture: { assetId: pic.body.id, url: `/api/assets/${pic.body.id}`, width: 120, height: 80 },
    });

    const list = await api(`/api/campaigns/${id}/updates`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: { id: string }) => u.id)).toEqual([second.body.id, first.body.id]);
    expect(list.body.items[1].picture).toBeNull();
    expect(list.body.nextCursor).toBeNull();

    const events =
      await sql`select type, payload from outbox_events where partition_key = ${id} and type = 'campaign.update_posted' order by id`;
    expect(events.map((e) => e.payload)).toEqual([
      { campaignId: id, updateId: first.body.id, authorId: second.body.author.id },
      { campaignId: id, updateId: second.body.id, authorId: second.body.author.id },
    ]);

    // the cached signed-out page was marked stale by the post: it shows the update on the next view
    const page = await api(`/campaigns/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("We reached ten metres.");
    expect(page.text).toContain(`data-update-id="${second.body.id}"`);
  });

  it("pages through updates newest first, three on the campaign page with a link to all of them", async () => {
    const id = await campaign();
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push((await post(id, { body: `Update number ${i}` })).body.id);
    const one = await api(`/api/campaigns/${id}/updates?limit=3`);
    expect(one.body.items.map((u: { id: string }) => u.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(one.body.nextCursor).toBe(ids[1]);
    const two = await api(`/api/campaigns/${id}/updates?limit=3&cursor=${one.body.nextCursor}`);
    expect(two.body.items.map((u: { id: string }) => u.id)).toEqual([ids[0]]);
    expect(two.body.nextCursor).toBeNull();

    const page = await api(`/campaigns/${id}`);
    expect(page.text).toContain("Update number 4");
    expect(page.text).not.toContain("Update number 1");
    expect(page.text).toContain(`href="/campaigns/${id}/updates"`);
    const all = await api(`/campaigns/${id}/updates`);
    expect(all.status).toBe(200);
    for (let i = 1; i <= 4; i++) expect(all.text).toContain(`Update number ${i}`);
    expect((await api(`/api/campaigns/${id}/updates?cursor=nope`)).body.error.code).toBe("VALIDATION_FAILED");
  });

  it("refuses others, drafts, suspended campaigns, bad text and pictures not of the campaign with a 4xx, and posts nothing", async () => {
    const id = await campaign();
    const other = await campaign();
    const foreign = await upload(other, await picture("png"), { token: alice });
    const draft = await campaign({ status: "draft" });
    const cases: [string, Awaited<ReturnType<typeof post>>, number, string][] = [
      ["anonymous", await api(`/api/campaigns/${id}/updates`, { json: { body: "Hi" } }), 401, "UNAUTHENTICATED"],
      ["another user", await post(id, { body: "Hi" }, bob), 403, "FORBIDDEN"],
      ["an admin", await post(id, { body: "Hi" }, carol), 403, "FORBIDDEN"],
      ["empty", await post(id, { body: "" }), 400, "VALIDATION_FAILED"],
      ["blank", await post(id, { body: " \n " }), 400, "VALIDATION_FAILED"],
      ["too long", await post(id, { body: "x".repeat(5001) }), 400, "VALIDATION_FAILED"],
      ["an unknown field", await post(id, { body: "Hi", html: "<b>" }), 400, "VALIDATION_FAILED"],
      ["another campaign's picture", await post(id, { body: "Hi", assetId: foreign.body.id }), 400, "VALIDATION_FAILED"],
      ["an unknown picture", await post(id, { body: "Hi", assetId: crypto.randomUUID() }), 400, "VALIDATION_FAILED"],
      ["a draft", await post(draft, { body: "Hi" }), 409, "CAMPAIGN_NOT_PUBLISHED"],
      ["someone else's draft", await post(draft, { body: "Hi" }, bob), 404, "CAMPAIGN_NOT_FOUND"],
      ["an unknown campaign", await post(crypto.randomUUID(), { body: "Hi" }), 404, "CAMPAIGN_NOT_FOUND"],
    ];
    for (const [what, r, status, code] of cases) {
      expect(r.status, what).toBe(status);
      expect(r.body.error.code, what).toBe(code);
    }
    const picked = await post(id, { body: "Hi", assetId: foreign.body.id });
    expect(picked.body.error.details).toEqual([{ field: "assetId", message: "is not a picture of this campaign" }]);
    expect(await updatesOf(id)).toBe(0);
    expect(await updatesOf(draft)).toBe(0);
    expect((await api(`/api/campaigns/${draft}/updates`)).status).toBe(404);

    const suspended = await api(`/api/campaigns/${id}`, {
      method: "PATCH",
      token: carol,
      json: { status: "suspended", reason: "Checking the documents" },
    });
    expect(suspended.status).toBe(200);
    const r = await post(id, { body: "Hi" });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("CAMPAIGN_CLOSED");
    expect(await updatesOf(id)).toBe(0);
  });

  it("keeps an update when its picture is removed from the campaign (the update loses the picture)", async () => {
    const id = await campaign();
    const pic = await upload(id, await picture("png"), { token: alice });
    const u = await post(id, { body: "Look at the new pump", assetId: pic.body.id });
    expect(u.status).toBe(201);
    expect((await api(`/api/assets/${pic.body.id}`, { method: "DELETE", token: alice })).status).toBe(204);
    const list = await api(`/api/campaigns/${id}/updates`);
    expect(list.body.items).toMatchObject([{ id: u.body.id, body: "Look at the new pump", picture: null }]);
  });

  it("posts from the campaign page's form (server action), without JavaScript too, and answers errors inline", async () => {
    const id = await campaign();
    const page = await api(`/campaigns/${id}`, { cookie: aliceCookie });
    expect(page.text).toContain('aria-label="Post an update"');
    // others get no form
    expect((await api(`/campaigns/${id}`, { cookie: await signIn("bob@example.com") })).text).not.toContain("Post an update");

    const body = formOf(page.text, "Post an update");
    body.append("body", "Posted from the page.");
    const r = await api(`/campaigns/${id}`, { method: "POST", cookie: aliceCookie, body, headers: { origin: baseUrl() } });
    expect(r.status).toBe(200);
    expect(r.text).toContain("Update posted.");
    expect((await api(`/api/campaigns/${id}/updates`)).body.items).toMatchObject([{ body: "Posted from the page." }]);

    const empty = formOf(page.text, "Post an update");
    empty.append("body", "");
    const e = await api(`/campaigns/${id}`, { method: "POST", cookie: aliceCookie, body: empty, headers: { origin: baseUrl() } });
    expect(e.status).toBe(200);
    expect(e.text).toMatch(/Update (<!-- -->)?is required/);
    expect(await updatesOf(id)).toBe(1);
  });

  it("subscribes a donor who ticks the box (API and form), once, and nobody who does not", async () => {
    const id = await campaign();
    const bobId = (await sql`select id from users where email = 'bob@example.com'`)[0]?.id as string;
    const give = (json: Record<string, unknown>) =>
      api(`/api/campaigns/${id}/contributions`, {
        token: bob,
        json: { amount: 1000, currency: "USD", ...json },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
    expect((await give({})).status).toBe(201);
    expect(await sql`select * from campaign_subscriptions where campaign_id = ${id}`).toHaveLength(0);
    expect((await give({ subscribeToUpdates: true })).status).toBe(201);
    expect((await give({ subscribeToUpdates: true })).status).toBe(201);
    const subs = await sql`select user_id from campaign_subscriptions where campaign_id = ${id}`;
    expect(subs.map((s) => s.user_id)).toEqual([bobId]);
    const bad = await give({ subscribeToUpdates: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");

    // the Contribute form's box, posted without JavaScript
    const other = await campaign();
    const cookie = await signIn("bob@example.com");
    const page = await api(`/campaigns/${other}`, { cookie });
    expect(page.text).toContain("Email me this campaign&#x27;s updates");
    const form = formOf(page.text, "Contribute");
    form.append("amount", "12");
    form.append("paymentMethod", "pm_card_visa");
    form.append("subscribeToUpdates", "on");
    const r = await api(`/campaigns/${other}`, { method: "POST", cookie, body: form, headers: { origin: baseUrl() } });
    expect(r.status).toBe(200);
    expect(await sql`select user_id from campaign_subscriptions where campaign_id = ${other}`).toHaveLength(1);
  });
});
