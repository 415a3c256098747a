import postgres from "postgres";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, signIn, tokenFor, validCampaign } from "../support/http";

let alice: string;
let bob: string;
let carol: string; // the seeded admin

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([
    tokenFor("alice@example.com"),
    tokenFor("bob@example.com"),
    tokenFor("carol@example.com"),
  ]);
});

async function myCampaignCount(token: string): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const r: Awaited<ReturnType<typeof api<any>>> = await api(`/api/me/campaigns?limit=100${cursor ? `&cursor=${cursor}` : ""}`, {
      token,
    });
    n += r.body.items.length;
    cursor = r.body.nextCursor;
  } while (cursor);
  return n;
}

describe("POST /api/campaigns", () => {
  it("creates a campaign for a token holder and answers 201 with it", async () => {
    const endsAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const r = await api("/api/campaigns", { token: alice, json: validCampaign({ endsAt }) });
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe(`/api/campaigns/${r.body.id}`);
    expect(r.body).toMatchObject({
      title: "Fix the village well",
      goalAmount: 500_000,
      currency: "USD",
      collectedAmount: 0,
      contributionCount: 0,
      status: "active",
      endsAt,
      creator: { name: "Alice Example" },
      assets: [],
    });
    const got = await api(`/api/campaigns/${r.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(r.body);
  });

  it("creates a campaign for a signed-in browser session", async () => {
    const cookie = await signIn("bob@example.com");
    const r = await api("/api/campaigns", { cookie, json: validCampaign({ title: "Bob's bakery" }) });
    expect(r.status).toBe(201);
    expect(r.body.creator.name).toBe("Bob Example");
  });

  it("answers 401 without credentials and with a bad token", async () => {
    const anon = await api("/api/campaigns", { json: validCampaign() });
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe("UNAUTHENTICATED");
    const bad = await api("/api/campaigns", { token: "cf_not-a-real-token", json: validCampaign() });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("INVALID_TOKEN");
    const junk = await api("/api/campaigns", { headers: { authorization: "Basic Zm9vOmJhcg==" }, json: validCampaign() });
    expect(junk.status).toBe(401);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ["title too short", { title: "ab" }, "title"],
    ["title missing", { title: undefined }, "title"],
    ["story empty", { story: "   " }, "story"],
    ["goal a float", { goalAmount: 10.5 }, "goalAmount"],
    ["goal negative", { goalAmount: -100 }, "goalAmount"],
    ["goal zero", { goalAmount: 0 }, "goalAmount"],
    ["goal a string", { goalAmount: "5000" }, "goalAmount"],
    ["goal too large", { goalAmount: 1e16 }, "goalAmount"],
    ["currency lower case", { currency: "usd" }, "currency"],
    ["currency unknown", { currency: "XYZ" }, "currency"],
    ["endsAt in the past", { endsAt: "2020-01-01T00:00:00Z" }, "endsAt"],
    ["endsAt not a date", { endsAt: "next tuesday" }, "endsAt"],
    ["status not allowed at creation", { status: "ended" }, "status"],
    ["unknown field", { collectedAmount: 999 }, "(body)"],
  ];
  it.each(invalid)("answers 400 naming the field when %s, and creates nothing", async (_, over, field) => {
    const before = await myCampaignCount(alice);
    const r = await api("/api/campaigns", { token: alice, json: validCampaign(over) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("VALIDATION_FAILED");
    expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await myCampaignCount(alice)).toBe(before);
  });

  it("names every failing field at once", async () => {
    const r = await api("/api/campaigns", { token: alice, json: { title: "", goalAmount: -1, currency: "nope" } });
    expect(r.status).toBe(400);
    const fields = r.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["title", "story", "goalAmount", "currency"]));
  });

  it("answers 415 when the body is not JSON, 400 when it is malformed JSON", async () => {
    const text = await api("/api/campaigns", { token: alice, body: "title=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const form = await api("/api/campaigns", { token: alice, body: new URLSearchParams({ title: "x" }) });
    expect(form.status).toBe(415);
    const broken = await api("/api/campaigns", {
      token: alice,
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe("INVALID_JSON");
    const notObject = await api("/api/campaigns", { token: alice, json: [1, 2] });
    expect(notObject.status).toBe(400);
  });

  it("answers 413 for a body over 1 MB, declared or streamed", async () => {
    const before = await myCampaignCount(alice);
    const big = validCampaign({ story: "x".repeat(1024 * 1024 + 10) });
    const declared = await api("/api/campaigns", { token: alice, json: big });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.slice(i, i + 65536));
        c.close();
      },
    });
    const res = await fetch(`${(await import("../support/http")).baseUrl()}/api/campaigns`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await myCampaignCount(alice)).toBe(before);
  });
});

describe("GET /api/campaigns/{id}", () => {
  it("serves an active campaign to anyone", async () => {
    const { body: c } = await api("/api/campaigns", { token: alice, json: validCampaign() });
    const r = await api(`/api/campaigns/${c.id}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(
      [
        "assets",
        "closedForAbuse",
        "collectedAmount",
        "contributionCount",
        "createdAt",
        "creator",
        "currency",
        "endReason",
        "endedAt",
        "endedBy",
        "endsAt",
        "goalAmount",
        "heldAmount",
        "id",
        "status",
        "story",
        "title",
      ].sort(),
    );
    expect(r.body.creator).toEqual({ id: expect.any(String), name: "Alice Example" });
  });

  it.each(["00000000-0000-7000-8000-000000000000", "abc", "1", "'%20or%201=1--", "x".repeat(500), "%E2%9C%93", "..%2F..%2Fetc"])(
    "answers 404, never 500, for unknown or malformed id %s",
    async (id) => {
      const r = await api(`/api/campaigns/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("CAMPAIGN_NOT_FOUND");
    },
  );

  it("shows a draft to its creator only", async () => {
    const { body: d } = await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft" }) });
    expect(d.status).toBe("draft");
    expect((await api(`/api/campaigns/${d.id}`, { token: alice })).status).toBe(200);
    expect((await api(`/api/campaigns/${d.id}`, { token: bob })).status).toBe(404);
    expect((await api(`/api/campaigns/${d.id}`)).status).toBe(404);
    const patched = await api(`/api/campaigns/${d.id}`, { method: "PATCH", token: bob, json: { title: "Mine now" } });
    expect(patched.status).toBe(404);
  });
});

describe("PATCH /api/campaigns/{id}", () => {
  it("lets the creator edit and move draft → active → ended", async () => {
    const { body: d } = await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft" }) });
    const edit = await api(`/api/campaigns/${d.id}`, {
      method: "PATCH",
      token: alice,
      json: { title: "A better title", goalAmount: 1000 },
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ title: "A better title", goalAmount: 1000, status: "draft" });
    const pub = await api(`/api/campaigns/${d.id}`, { method: "PATCH", token: alice, json: { status: "active" } });
    expect(pub.body.status).toBe("active");
    expect((await api(`/api/campaigns/${d.id}`)).status).toBe(200);
    const back = await api(`/api/campaigns/${d.id}`, { method: "PATCH", token: alice, json: { status: "draft" } });
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe("INVALID_STATUS_TRANSITION");
    const end = await api(`/api/campaigns/${d.id}`, { method: "PATCH", token: alice, json: { status: "ended" } });
    expect(end.body.status).toBe("ended");
    const late = await api(`/api/campaigns/${d.id}`, { method: "PATCH", token: alice, json: { title: "Too late" } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("CAMPAIGN_CLOSED");
    expect((await api(`/api/campaigns/${d.id}`)).body.title).toBe("A better title");
  });

  it("refuses others (403), anonymous callers (401) and currency changes (422), changing nothing", async () => {
    const { body: c } = await api("/api/campaigns", { token: alice, json: validCampaign() });
    const other = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: bob, json: { title: "Hijacked" } });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("FORBIDDEN");
    expect((await api(`/api/campaigns/${c.id}`, { method: "PATCH", json: { title: "Anon" } })).status).toBe(401);
    const cur = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: alice, json: { currency: "EUR", title: "Euro" } });
    expect(cur.status).toBe(422);
    expect(cur.body.error.code).toBe("CURRENCY_IMMUTABLE");
    const same = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: alice, json: { currency: "USD" } });
    expect(same.status).toBe(200);
    const bad = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: alice, json: { goalAmount: "lots" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe("goalAmount");
    expect((await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: alice, json: {} })).status).toBe(400);
    expect((await api(`/api/campaigns/${c.id}`)).body.title).toBe(c.title);
  });

  it("lets an admin suspend and reinstate, but not edit content", async () => {
    const { body: c } = await api("/api/campaigns", { token: alice, json: validCampaign() });
    const edit = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: carol, json: { title: "Admin edit" } });
    expect(edit.status).toBe(403);
    const sus = await api(`/api/campaigns/${c.id}`, {
      method: "PATCH",
      token: carol,
      json: { status: "suspended", reason: "Reported as a scam" },
    });
    expect(sus.status).toBe(200);
    expect(sus.body.status).toBe("suspended");
    const self = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: alice, json: { status: "active" } });
    expect(self.status).toBe(409);
    const back = await api(`/api/campaigns/${c.id}`, { method: "PATCH", token: carol, json: { status: "active" } });
    expect(back.body.status).toBe("active");
  });

  it("takes a reason to suspend (required) and to end (optional), refuses one elsewhere, changing nothing", async () => {
    const { body: c } = await api("/api/campaigns", { token: alice, json: validCampaign() });
    const patch = (token: string, json: unknown) => api(`/api/campaigns/${c.id}`, { method: "PATCH", token, json });
    for (const [token, json] of [
      [carol, { status: "suspended" }],
      [carol, { status: "suspended", reason: "  " }],
      [alice, { status: "active", reason: "Because" }],
      [alice, { title: "New title", reason: "Because" }],
    ] as const) {
      const r = await patch(token, json);
      expect(r.status, JSON.stringify(json)).toBe(400);
      expect(r.body.error.code).toBe("VALIDATION_FAILED");
      expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain("reason");
    }
    expect((await api(`/api/campaigns/${c.id}`)).body).toMatchObject({ status: "active", title: c.title });

    // a suspension's reason is for the creator and admins: the public campaign does not carry it
    expect((await patch(carol, { status: "suspended", reason: "Reported as a scam" })).status).toBe(200);
    const suspended = await api(`/api/campaigns/${c.id}`);
    expect(suspended.body).toMatchObject({ status: "suspended", endReason: null, endedAt: null, endedBy: null });
    expect(suspended.text).not.toContain("Reported as a scam");
    // the admin rewords the suspension's reason; the creator cannot
    expect((await patch(alice, { status: "suspended", reason: "Not a scam" })).status).toBe(403);
    expect((await patch(carol, { status: "suspended", reason: "Reported as a scam twice" })).status).toBe(200);
    const sql = postgres(inject("databaseUrl"), { max: 1 });
    try {
      const [row] = await sql`select status_reason from campaigns where id = ${c.id}`;
      expect(row?.status_reason).toBe("Reported as a scam twice");
    } finally {
      await sql.end();
    }
    const edit = await patch(alice, { title: "Fixed while suspended" });
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe("CAMPAIGN_CLOSED");
    expect((await patch(carol, { status: "active" })).body).toMatchObject({ status: "active", endReason: null });

    // the creator's words on ending it are public
    const end = await patch(alice, { status: "ended", reason: "We reached the goal elsewhere" });
    expect(end.status).toBe(200);
    expect(end.body).toMatchObject({ status: "ended", endedBy: "creator", endReason: "We reached the goal elsewhere" });
    expect(Date.parse(end.body.endedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await api(`/api/campaigns/${c.id}`)).body.endReason).toBe("We reached the goal elsewhere");
    // and the creator may reword them; an admin may not
    expect((await patch(carol, { status: "ended", reason: "Closed by us" })).status).toBe(403);
    const reworded = await patch(alice, { status: "ended", reason: "We reached the goal elsewhere, thank you" });
    expect(reworded.body).toMatchObject({ status: "ended", endReason: "We reached the goal elsewhere, thank you" });
  });

  it("lets a creator reopen what they ended while its end date is ahead; never an admin's end or a close for abuse", async () => {
    const endsAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const { body: c } = await api("/api/campaigns", { token: alice, json: validCampaign({ endsAt }) });
    const patch = (id: string, token: string, json: unknown) => api(`/api/campaigns/${id}`, { method: "PATCH", token, json });
    expect((await patch(c.id, alice, { status: "ended" })).body).toMatchObject({ status: "ended", endReason: null });
    expect((await patch(c.id, bob, { status: "active" })).status).toBe(403);
    expect((await patch(c.id, carol, { status: "active" })).status).toBe(409);
    const reopened = await patch(c.id, alice, { status: "active" });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ status: "active", endsAt, endedAt: null, endedBy: null, endReason: null });

    // past its end date: ending is final (the date is moved back in the database: the API takes only future dates)
    expect((await patch(c.id, alice, { status: "ended" })).status).toBe(200);
    const sql = postgres(inject("databaseUrl"), { max: 1 });
    try {
      await sql`update campaigns set ends_at = now() - interval '1 minute' where id = ${c.id}`;
    } finally {
      await sql.end();
    }
    const late = await patch(c.id, alice, { status: "active" });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("INVALID_STATUS_TRANSITION");

    // ended by an admin (from a suspension), or closed for abuse: not the creator's to reopen
    const { body: d } = await api("/api/campaigns", { token: alice, json: validCampaign() });
    expect((await patch(d.id, carol, { status: "suspended", reason: "Reported as a scam" })).status).toBe(200);
    expect((await patch(d.id, carol, { status: "ended" })).body).toMatchObject({
      status: "ended",
      endedBy: "admin",
      endReason: null,
    });
    expect((await patch(d.id, alice, { status: "active" })).status).toBe(409);
    const { body: e } = await api("/api/campaigns", { token: alice, json: validCampaign() });
    const closed = await api(`/api/campaigns/${e.id}/close-for-abuse`, { token: carol, json: { reason: "A scam" } });
    expect(closed.body).toMatchObject({ status: "ended", endedBy: "admin", closedForAbuse: true });
    expect((await patch(e.id, alice, { status: "active" })).status).toBe(409);
    expect((await api(`/api/campaigns/${e.id}`)).body.status).toBe("ended");
  });

  it("answers 404 for unknown and malformed IDs", async () => {
    for (const id of ["00000000-0000-7000-8000-000000000000", "not-an-id"]) {
      const r = await api(`/api/campaigns/${id}`, { method: "PATCH", token: alice, json: { title: "Whatever" } });
      expect(r.status).toBe(404);
    }
  });
});

describe("GET /api/me/campaigns", () => {
  it("pages through the creator's own campaigns, newest first, without gaps or repeats", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await api("/api/campaigns", { token: bob, json: validCampaign({ title: `Bob page ${i}` }) })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof api<any>>> = await api(`/api/me/campaigns?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        token: bob,
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("cache-control")).toContain("no-store");
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      for (const c of r.body.items) expect(c.creator.name).toBe("Bob Example");
      seen.push(...r.body.items.map((c: { id: string }) => c.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 5)).toEqual([...made].reverse());
  });

  it("refuses anonymous callers and bad paging parameters", async () => {
    expect((await api("/api/me/campaigns")).status).toBe(401);
    for (const q of ["limit=0", "limit=1000", "limit=abc", "cursor=not-a-cursor"]) {
      const r = await api(`/api/me/campaigns?${q}`, { token: bob });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe("VALIDATION_FAILED");
    }
  });
});
