import { beforeAll, describe, expect, it } from "vitest";
import { api, signIn, tokenFor, validCampaign } from "../support/http";

/** The donor wall (docs/donor-wall.md): every paid gift, top donors and words of support, anonymity kept. */

let alice: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([
    tokenFor("alice@example.com"),
    tokenFor("bob@example.com"),
    tokenFor("carol@example.com"),
  ]);
});

async function give(token: string, campaignId: string, amount: number, extra: Record<string, unknown> = {}) {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    token,
    json: { amount, currency: "USD", ...extra },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status).toBe(201);
  expect(r.body.status).toBe("succeeded");
}

/** The text of the element with data-testid `id` on `html` (up to its list's end). */
const listOf = (html: string, id: string) => new RegExp(`data-testid="${id}"[\\s\\S]*?</(ol|ul)>`).exec(html)?.[0] ?? "";

describe("the donor wall", () => {
  it("ranks donors by what they give, each anonymous gift apart and never named, with their words of support", async () => {
    const id = (await api("/api/campaigns", { token: alice, json: validCampaign() })).body.id as string;
    await give(bob, id, 1000);
    await give(bob, id, 500, { message: "Count me in" });
    await give(bob, id, 5000, { anonymous: true, message: "From a neighbour" });
    await give(carol, id, 2000, { message: "Proud to help" });

    const page = await api(`/campaigns/${id}/contributions`);
    expect(page.status).toBe(200);
    const top = listOf(page.text, "top-donors");
    const names = [...top.matchAll(/<strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
    expect(names).toEqual(["Anonymous", "Carol Example", "Bob Example"]);
    expect(top).toContain("$50.00");
    expect(top).toContain("$20.00");
    expect(top).toMatch(/\$15\.00<\/span><span class="muted small"> · <!-- -->2<!-- --> gifts/);
    expect(page.text).not.toContain("$65.00"); // the anonymous gift is never added to Bob's

    const words = listOf(page.text, "words-of-support");
    expect(words.indexOf("Proud to help")).toBeLessThan(words.indexOf("From a neighbour"));
    expect(words).toMatch(/From a neighbour<\/blockquote><p class="muted small">— <!-- -->Anonymous/);
    expect(words).toMatch(/Count me in<\/blockquote><p class="muted small">— <!-- -->Bob Example/);

    const all = listOf(page.text, "all-contributions");
    expect([...all.matchAll(/contribution-name">([^<]+)</g)].map((m) => m[1])).toEqual([
      "Carol Example",
      "Anonymous",
      "Bob Example",
      "Bob Example",
    ]);

    // the campaign page links it
    expect((await api(`/campaigns/${id}`)).text).toContain(`href="/campaigns/${id}/contributions"`);
  });

  it("pages through every paid gift newest first, 20 a page", async () => {
    const id = (await api("/api/campaigns", { token: alice, json: validCampaign() })).body.id as string;
    for (let i = 1; i <= 22; i++) await give(carol, id, 100 * i);
    const first = await api(`/campaigns/${id}/contributions`);
    const amounts = (html: string) =>
      [...listOf(html, "all-contributions").matchAll(/contribution-amount">([^<]+)</g)].map((m) => m[1]);
    expect(amounts(first.text)).toHaveLength(20);
    expect(amounts(first.text)[0]).toBe("$22.00");
    const next = /href="(\/campaigns\/[^"]+\/contributions\?cursor=[^"]+)"/.exec(first.text)?.[1];
    expect(next).toBeTruthy();
    const second = await api((next as string).replace(/&amp;/g, "&"));
    expect(amounts(second.text)).toEqual(["$2.00", "$1.00"]);
    expect(second.text).not.toContain('data-testid="top-donors"'); // the first page's alone
  });

  it("is not there for unknown campaigns and others' drafts", async () => {
    expect((await api(`/campaigns/${crypto.randomUUID()}/contributions`)).status).toBe(404);
    const draft = (await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft" }) })).body.id as string;
    expect((await api(`/campaigns/${draft}/contributions`)).status).toBe(404);
    expect((await api(`/campaigns/${draft}/contributions`, { cookie: await signIn("bob@example.com") })).status).toBe(404);
  });
});
