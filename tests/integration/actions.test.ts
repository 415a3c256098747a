import { beforeAll, describe, expect, it } from "vitest";
import { api, baseUrl, signIn, tokenFor } from "../support/http";

let cookie: string;
let token: string;

beforeAll(async () => {
  [cookie, token] = await Promise.all([signIn("alice@example.com"), tokenFor("alice@example.com")]);
});

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/**
 * The new-campaign form as a browser without JavaScript posts it: the hidden fields React renders for
 * the server action (its ID among them), plus the visible fields.
 */
async function newCampaignForm(title: string): Promise<{ body: FormData; actionId: string }> {
  const page = await api("/campaigns/new", { cookie });
  expect(page.status).toBe(200);
  const form = /<form[^>]*aria-label="New campaign"[^>]*>([\s\S]*?)<\/form>/.exec(page.text)?.[1] ?? "";
  const body = new FormData();
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)) {
    body.append(decode(m[1] as string), decode(m[2] ?? ""));
  }
  const ref = [...body.entries()].find(([k]) => /^\$ACTION_\d+:0$/.test(k))?.[1];
  const actionId = (JSON.parse(String(ref ?? "{}")) as { id?: string }).id;
  if (!actionId) throw new Error(`no server action in the form:\n${form}`);
  body.append("title", title);
  body.append("story", "Posted by a form on another site.");
  body.append("goal", "100");
  body.append("currency", "USD");
  body.append("publish", "on");
  return { body, actionId };
}

async function myCampaigns(): Promise<{ title: string; goalAmount: number; currency: string }[]> {
  const r = await api<{ items: { title: string; goalAmount: number; currency: string }[] }>("/api/me/campaigns?limit=100", {
    token,
  });
  return r.body.items;
}

async function myCampaignTitles(): Promise<string[]> {
  return (await myCampaigns()).map((c) => c.title);
}

describe("server actions and the Origin check", () => {
  it("refuses a cross-origin form post to an action with 403 CROSS_ORIGIN_REQUEST and creates nothing", async () => {
    const title = `Forged ${Date.now()}`;
    const { body } = await newCampaignForm(title);
    const r = await api("/campaigns/new", { method: "POST", cookie, body, headers: { origin: "https://evil.example" } });
    expect(r.status).toBe(403);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.body).toEqual({ error: { code: "CROSS_ORIGIN_REQUEST", message: expect.any(String) } });
    expect(await myCampaignTitles()).not.toContain(title);
  });

  it("refuses a cross-origin fetch-style action call (Next-Action header), and an opaque Origin, the same way", async () => {
    const { actionId } = await newCampaignForm("unused");
    for (const origin of ["https://evil.example", "null"]) {
      const r = await api("/campaigns/new", {
        method: "POST",
        cookie,
        body: JSON.stringify(["$undefined", { title: "x" }]),
        headers: { origin, "next-action": actionId, "content-type": "text/plain;charset=UTF-8" },
      });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("CROSS_ORIGIN_REQUEST");
    }
  });

  it("runs the same post from the site itself: the campaign is created and the browser redirected to it", async () => {
    const title = `Same origin ${Date.now()}`;
    const { body } = await newCampaignForm(title);
    const r = await api("/campaigns/new", { method: "POST", cookie, body, headers: { origin: baseUrl() } });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toMatch(/^\/campaigns\/[0-9a-f-]{36}$/);
    expect(await myCampaignTitles()).toContain(title);
  });

  it("answers an invalid form with the API's error and every failing field, without creating anything", async () => {
    const { body } = await newCampaignForm("ab");
    body.set("goal", "lots");
    const r = await api("/campaigns/new", { method: "POST", cookie, body, headers: { origin: baseUrl() } });
    expect(r.status).toBe(200); // the page again, with the errors next to their fields
    expect(r.text).toContain("Title must be at least 3 characters");
    expect(r.text).toContain("Goal must be a number such as 12.50");
    expect(await myCampaignTitles()).not.toContain("ab");
  });

  it("reads a goal as people type it, in the currency's digits (issue 19, finding 4), and refuses garbled ones", async () => {
    const typed = [
      ["12,000", "USD", 1_200_000],
      ["$12,000.50", "USD", 1_200_050],
      ["1,500", "JPY", 1500],
      ["12 000,50", "EUR", 1_200_050],
    ] as const;
    for (const [goal, currency, minor] of typed) {
      const title = `Typed goal ${goal} ${currency} ${Date.now()}`;
      const { body } = await newCampaignForm(title);
      body.set("goal", goal);
      body.set("currency", currency);
      const r = await api("/campaigns/new", { method: "POST", cookie, body, headers: { origin: baseUrl() } });
      expect(r.status, goal).toBe(303);
      expect((await myCampaigns()).find((c) => c.title === title)).toMatchObject({ goalAmount: minor, currency });
    }
    const title = `Ambiguous goal ${Date.now()}`;
    const { body } = await newCampaignForm(title);
    body.set("goal", "10.5");
    body.set("currency", "JPY");
    const r = await api("/campaigns/new", { method: "POST", cookie, body, headers: { origin: baseUrl() } });
    expect(r.status).toBe(200);
    expect(decode(r.text)).toContain("Goal must be a number such as 1500 (JPY has no decimals)");
    expect(decode(r.text)).not.toContain("12.50");
    expect(await myCampaignTitles()).not.toContain(title);
  });
});
