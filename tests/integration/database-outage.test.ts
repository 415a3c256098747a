/**
 * PostgreSQL dies under load (immediate-mode shutdown, as a crash or `pg_ctl -m immediate` does) and comes back
 * (docs/operations.md, "When the database goes away"). The app, on its own embedded PostgreSQL with every role
 * running (web, consumers, scheduler, dispatcher), answers every request during the outage with its normal
 * answer or a retryable 503 DATABASE_UNAVAILABLE with Retry-After (pages: a 503 error page), never a 500; raises
 * no uncaught exception or unhandled rejection (the postgres driver's null-socket TypeError among them:
 * patches/postgres+3.4.9.patch); and once PostgreSQL is back, works again without a restart: the contributions
 * refused with a 503 go through when retried with their Idempotency-Key, a new card payment and a delayed one
 * (the sandbox dispatcher's webhook) settle, and the campaign total catches up (the consumers reconnected).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedHandle, startEmbeddedPostgres } from "@/db/embedded";
import { anyFreePort } from "@/lib/net/ports";
import { type AppServer, provisionDatabase, startApp, type TestDatabase } from "../support/env";
import { activeCampaign, api, signIn, tokenFor, validCampaign } from "../support/http";
import { waitFor } from "../support/wait";

interface Answer {
  what: string;
  status: number;
  ms: number;
  retryAfter: string | null;
  code?: string;
  text: string;
}

describe("a database outage", () => {
  let dir: string;
  let pg: EmbeddedHandle;
  let tdb: TestDatabase;
  let app: AppServer;
  let sql: postgres.Sql;
  let alice: string;
  let bob: string;
  let carol: string; // minted before the outage, first used during it: the proxy must look it up then
  let cookie: string;
  let campaign: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cf-outage-"));
    pg = await startEmbeddedPostgres({ dataDir: dir, port: await anyFreePort(), database: "postgres" });
    tdb = await provisionDatabase("outage", pg.url);
    app = await startApp(tdb.url, { EVENT_TRANSPORT: "postgres", SANDBOX_PENDING_MS: "500" });
    sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
    [alice, bob, carol] = (await Promise.all(["alice", "bob", "carol"].map((u) => tokenFor(`${u}@example.com`, tdb.url)))) as [
      string,
      string,
      string,
    ];
    cookie = await signIn("alice@example.com", "password", app.baseUrl);
    campaign = await activeCampaign(alice, app.baseUrl);
  });

  afterAll(async () => {
    await sql?.end({ timeout: 1 }).catch(() => {});
    await app?.stop();
    await pg?.restart().catch(() => {});
    await tdb?.drop().catch(() => {});
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const base = () => app.baseUrl;
  const collected = async () => (await api(`/api/campaigns/${campaign}`, { base: base() })).body.collectedAmount as number;

  /** The hidden fields of the new-campaign form (the server action's ID among them), as a browser without JavaScript posts it. */
  async function actionForm(title: string): Promise<FormData> {
    const page = await api("/campaigns/new", { base: base(), cookie });
    expect(page.status).toBe(200);
    const form = /<form[^>]*aria-label="New campaign"[^>]*>([\s\S]*?)<\/form>/.exec(page.text)?.[1] ?? "";
    const body = new FormData();
    for (const m of form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)) {
      body.append((m[1] as string).replace(/&quot;/g, '"'), (m[2] ?? "").replace(/&quot;/g, '"'));
    }
    for (const [k, v] of Object.entries({ title, story: "Posted during an outage.", goal: "100", currency: "USD" })) {
      body.append(k, v);
    }
    return body;
  }

  it("answers 2xx/4xx or 503 DATABASE_UNAVAILABLE with Retry-After, never a 500; everything works again after it", async () => {
    const visaBefore = await api(`/api/campaigns/${campaign}/contributions`, {
      base: base(),
      token: bob,
      json: { amount: 1000, currency: "USD", paymentMethod: "pm_card_visa" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(visaBefore.status).toBe(201);
    await waitFor(collected, (n) => n === 1000);
    const forms = await Promise.all([0, 1, 2].map((i) => actionForm(`Outage action ${i}`)));

    const answers: Answer[] = [];
    const refused: { key: string; amount: number }[] = []; // contributions answered 503: retried afterwards
    const record = async (what: string, p: Promise<Response>) => {
      const t0 = Date.now();
      try {
        const res = await p;
        const text = await res.text();
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {}
        answers.push({ what, status: res.status, ms: Date.now() - t0, retryAfter: res.headers.get("retry-after"), code, text });
        return res.status;
      } catch (err) {
        answers.push({ what, status: 0, ms: Date.now() - t0, retryAfter: null, text: String(err) });
        return 0;
      }
    };
    const get = (p: string, headers: Record<string, string> = {}) => fetch(base() + p, { headers, redirect: "manual" });
    const post = (p: string, token: string, json: unknown, headers: Record<string, string> = {}) =>
      fetch(base() + p, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(json),
        redirect: "manual",
      });

    let n = 0;
    const round = async () => {
      const i = n++;
      const key = crypto.randomUUID();
      const amount = 100 + i;
      await Promise.all([
        record("read campaign", get(`/api/campaigns/${campaign}`)),
        record("list contributions", get(`/api/campaigns/${campaign}/contributions?limit=5`)),
        record("read campaign (fresh token)", get(`/api/campaigns/${campaign}`, { authorization: `Bearer ${carol}` })),
        record("campaign page", get(`/campaigns/${campaign}`)),
        record("home page", get("/")),
        record("create campaign", post("/api/campaigns", alice, validCampaign({ title: `During outage ${i}` }))),
        record(
          "contribute",
          post(
            `/api/campaigns/${campaign}/contributions`,
            bob,
            { amount, currency: "USD", paymentMethod: "pm_card_visa" },
            { "idempotency-key": key },
          ),
        ).then((status) => {
          if (status === 503) refused.push({ key, amount });
        }),
        ...(i < forms.length
          ? [
              record(
                "server action",
                fetch(`${base()}/campaigns/new`, {
                  method: "POST",
                  headers: { cookie, origin: base() },
                  body: forms[i],
                  redirect: "manual",
                }),
              ),
            ]
          : []),
      ]);
    };

    // Traffic in flight when PostgreSQL dies, while it is down, and while it recovers.
    const crashed = (async () => {
      await new Promise((r) => setTimeout(r, 150));
      await pg.crash();
    })();
    const started = Date.now();
    while (Date.now() - started < 3000) await round();
    await crashed;
    await pg.restart();
    for (let k = 0; k < 3; k++) await round();

    const tally: Record<string, Record<number, number>> = {};
    for (const a of answers) {
      const t = tally[a.what] ?? {};
      t[a.status] = (t[a.status] ?? 0) + 1;
      tally[a.what] = t;
    }
    const slowest = Math.max(...answers.map((a) => a.ms));
    console.log(`answers around the outage (${answers.length}, slowest ${slowest} ms): ${JSON.stringify(tally)}`);
    const bad = answers.filter((a) => !(a.status >= 200 && a.status < 500) && a.status !== 503);
    expect(bad.map((a) => `${a.what}: ${a.status} ${a.text.slice(0, 200)}`)).toEqual([]);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0); // the outage was met
    for (const a of unavailable) {
      expect(Number(a.retryAfter), `${a.what}: Retry-After`).toBeGreaterThan(0);
      if (a.what !== "campaign page" && a.what !== "home page" && a.what !== "server action") {
        expect(a.code, `${a.what}: ${a.text.slice(0, 200)}`).toBe("DATABASE_UNAVAILABLE");
      }
    }
    // A server action answers its error in the page (status 200) or, when the page itself cannot render, 503.
    for (const a of answers.filter((x) => x.what === "server action" && x.status === 200)) {
      expect(a.text).toMatch(/database is restarting|Outage action/);
    }

    // Back: without restarting the app, the refused contributions go through on retry (same key, same body)…
    await waitFor(
      async () => (await get(`/api/campaigns/${campaign}`)).status,
      (s) => s === 200,
    );
    for (const r of refused) {
      const again = await api(`/api/campaigns/${campaign}/contributions`, {
        base: base(),
        token: bob,
        json: { amount: r.amount, currency: "USD", paymentMethod: "pm_card_visa" },
        headers: { "idempotency-key": r.key },
      });
      expect([200, 201], again.text).toContain(again.status);
    }
    // …a new card payment and a delayed one (settled by the dispatcher's webhook) settle…
    const visa = await api(`/api/campaigns/${campaign}/contributions`, {
      base: base(),
      token: bob,
      json: { amount: 7000, currency: "USD", paymentMethod: "pm_card_visa" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(visa.status).toBe(201);
    expect(visa.body.status).toBe("succeeded");
    const delayed = await api(`/api/campaigns/${campaign}/contributions`, {
      base: base(),
      token: bob,
      json: { amount: 9000, currency: "USD", paymentMethod: "pm_card_processing" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(delayed.status).toBe(201);
    await waitFor(
      async () => (await api(`/api/contributions/${delayed.body.id}`, { base: base(), token: bob })).body.status,
      (s) => s === "succeeded",
      20_000,
    );
    // …and the displayed total catches up with every succeeded contribution (the consumers reconnected).
    const settled = async () =>
      Number(
        (
          await sql<{ total: string }[]>`
            select coalesce(sum(amount), 0) as total from contributions where campaign_id = ${campaign} and status = 'succeeded'`
        )[0]?.total,
      );
    const expected = await settled();
    expect(expected).toBeGreaterThanOrEqual(1000 + 7000 + 9000);
    await waitFor(collected, (total) => total === expected, 20_000);

    const out = app.output();
    expect(out).not.toMatch(/uncaughtException|unhandledRejection|Cannot read properties of null/);
    expect(out).not.toContain('"msg":"unexpected error"'); // an outage is a warning, not a bug
    expect(out).toContain('"msg":"database unavailable"');
    expect(app.process.exitCode).toBeNull();
  }, 90_000);
});
