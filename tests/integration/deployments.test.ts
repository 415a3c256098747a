/**
 * One application, every way it is deployed (docs/architecture.md, "Deployment modes"): the same burst
 * of contributions ends with exact totals, and a ledger audit that passes, under
 * (a) `npm start` (every role in one process),
 * (b) `next start` with SERVICES=web beside `npm run worker` (consumers, scheduler and dispatcher apart),
 * (c) the standalone server (`node .next/standalone/server.js`), every role from instrumentation.ts,
 * (d) SERVICES=web with nothing in the background but the cron route (Vercel).
 */
import { execFileSync } from "node:child_process";
import pLimit from "p-limit";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { seedDemoUsers } from "@/db/seed";
import { runCli, startWorker } from "../support/cli";
import {
  type AppServer,
  type Launcher,
  provisionDatabase,
  startApp,
  TEST_SANDBOX_SECRET,
  type TestDatabase,
} from "../support/env";
import { activeCampaign, api, tokenFor } from "../support/http";
import { sleep, waitFor } from "../support/wait";

const CRON_SECRET = "test-cron-secret-for-deployments";
const CONTRIBUTIONS = 60;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
}, 60_000);

async function database(label: string): Promise<TestDatabase> {
  const tdb = await provisionDatabase(label);
  cleanups.push(() => tdb.drop());
  const { sql, db } = openDb(tdb.url, 1);
  await seedDemoUsers(db); // `npm start` seeds them itself; the other launchers do not
  await sql.end();
  return tdb;
}

async function app(tdb: TestDatabase, how: Launcher, env: Record<string, string> = {}): Promise<AppServer> {
  const a = await startApp(tdb.url, { RATE_LIMIT_MAX: "100000", CRON_SECRET, ...env }, undefined, how);
  cleanups.push(() => a.stop());
  return a;
}

interface Expected {
  campaigns: Map<string, { amount: number; count: number }>;
  /** Accepted contributions, each with its donor's token (only the donor may read it). */
  contributions: { id: string; token: string }[];
}

/**
 * Two donors give CONTRIBUTIONS times, 12 at a time, to two campaigns: cards that succeed at once,
 * declined cards and (with `pending`) payments that succeed seconds later through a webhook.
 */
async function burst(base: string, url: string, pending: boolean): Promise<Expected> {
  const alice = await tokenFor("alice@example.com", url);
  const donors = [await tokenFor("bob@example.com", url), await tokenFor("carol@example.com", url)];
  const ids = [await activeCampaign(alice, base), await activeCampaign(alice, base)];
  const campaigns = new Map(ids.map((id) => [id, { amount: 0, count: 0 }]));
  const contributions: Expected["contributions"] = [];
  const methods = ["pm_card_visa", "pm_card_mastercard", "pm_card_chargeDeclined", ...(pending ? ["pm_card_processing"] : [])];
  const limit = pLimit(12);
  await Promise.all(
    Array.from({ length: CONTRIBUTIONS }, (_, i) =>
      limit(async () => {
        const campaignId = ids[i % 2] as string;
        const amount = 100 + ((i * 7919) % 4900);
        const paymentMethod = methods[i % methods.length] as string;
        const token = donors[i % 2] as string;
        const r = await api(`/api/campaigns/${campaignId}/contributions`, {
          base,
          token,
          json: { amount, currency: "USD", paymentMethod },
          headers: { "idempotency-key": crypto.randomUUID() },
        });
        expect(r.status, r.text).toBe(201);
        if (r.body.status === "failed") return;
        const t = campaigns.get(campaignId) as { amount: number; count: number };
        t.amount += amount;
        t.count += 1;
        contributions.push({ id: r.body.id, token });
      }),
    ),
  );
  return { campaigns, contributions };
}

/** Every accepted contribution succeeded, each campaign shows exactly its sum, and the ledger audit passes. */
async function expectExact(base: string, url: string, want: Expected, poke: () => Promise<unknown> = async () => {}) {
  for (const { id, token } of want.contributions) {
    const status = await waitFor(
      async () => (await api(`/api/contributions/${id}`, { base, token })).body.status,
      (s) => s === "succeeded",
      20_000,
      250,
    );
    expect(status).toBe("succeeded");
  }
  for (const [id, t] of want.campaigns) {
    const shown = await waitFor(
      async () => {
        await poke();
        return (await api(`/api/campaigns/${id}`, { base })).body;
      },
      (c) => c.collectedAmount === t.amount && c.contributionCount === t.count,
      30_000,
      250,
    );
    expect({ amount: shown.collectedAmount, count: shown.contributionCount }).toEqual(t);
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ id: string; collected: string; sum: string }[]>`
      select c.id, c.collected_amount::text as collected,
             coalesce((select sum(amount) from contributions k where k.campaign_id = c.id and k.status = 'succeeded'), 0)::text as sum
      from campaigns c where c.id in ${sql([...want.campaigns.keys()])}`;
    for (const r of rows) expect(r.collected).toBe(r.sum);
  } finally {
    await sql.end();
  }
  const audit = await runCli(["ledger", "audit"], { DATABASE_URL: url });
  expect(audit.code, audit.out).toBe(0);
}

describe("the same burst, every deployment mode", () => {
  it("(a) npm start: every role in one process, and SIGTERM stops them all", async () => {
    const tdb = await database("deploy_a");
    // No compile cache: a module the launcher first loaded while shutting down would fail to compile
    // then and leave the process running with its roles (found with `timeout`, which signals the group).
    const a = await app(tdb, "npm start", { TSX_DISABLE_CACHE: "1" });
    const want = await burst(a.baseUrl, tdb.url, true);
    await expectExact(a.baseUrl, tdb.url, want);
    // Ctrl-C, `timeout` and container stops signal the whole process group: tsx's esbuild service (a
    // child process) goes too, so nothing may need compiling during shutdown.
    const children = execFileSync("pgrep", ["-P", String(a.process.pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    for (const pid of children) process.kill(Number(pid), "SIGTERM");
    const exited = await Promise.race([a.stop("SIGTERM").then(() => true), sleep(20_000).then(() => false)]);
    expect(exited, a.output()).toBe(true);
    expect(a.output()).toContain("SIGTERM: shutting down");
  }, 180_000);

  it("(b) next start with SERVICES=web, and npm run worker for the background roles", async () => {
    const tdb = await database("deploy_b");
    const a = await app(tdb, "next start", { SERVICES: "web", LOG_LEVEL: "info" });
    const worker = startWorker({
      DATABASE_URL: tdb.url,
      NEXTAUTH_SECRET: "unused-by-the-worker-but-required-0123",
      SANDBOX_WEBHOOK_SECRET: TEST_SANDBOX_SECRET,
      SANDBOX_WEBHOOK_URL: `${a.baseUrl}/api/webhooks/stripe`,
      SANDBOX_PENDING_MS: "1500",
    });
    cleanups.push(async () => {
      worker.kill("SIGTERM");
      await worker.done;
    });
    await waitFor(worker.output, (o) => o.includes("[worker] running") || worker.exitCode !== null, 60_000);
    expect(worker.output()).toContain("[worker] running consumers, scheduler, dispatcher");
    // the web process started only its own role
    expect(a.output()).toMatch(/"roles":\["web"\]/);
    const want = await burst(a.baseUrl, tdb.url, true);
    await expectExact(a.baseUrl, tdb.url, want);
  }, 180_000);

  it("(c) the standalone server runs the roles from instrumentation.ts", async () => {
    const tdb = await database("deploy_c");
    const a = await app(tdb, "standalone", { LOG_LEVEL: "info" });
    expect(a.output()).toMatch(/"roles":\["web","consumers","scheduler","dispatcher"\]/);
    const want = await burst(a.baseUrl, tdb.url, true);
    await expectExact(a.baseUrl, tdb.url, want);
  }, 180_000);

  it("(d) SERVICES=web and only the cron route applies events", async () => {
    const tdb = await database("deploy_d");
    const a = await app(tdb, "next start", { SERVICES: "web", EVENT_DRAIN_AFTER_SETTLE: "false" });
    const want = await burst(a.baseUrl, tdb.url, false);
    // nothing runs in the background: the totals have not moved a second later
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of want.campaigns.keys()) {
      expect((await api(`/api/campaigns/${id}`, { base: a.baseUrl })).body.collectedAmount).toBe(0);
    }
    const cron = () =>
      api("/api/cron/events", { base: a.baseUrl, headers: { authorization: `Bearer ${CRON_SECRET}` } }).then((r) => {
        expect(r.status, r.text).toBe(200);
      });
    await expectExact(a.baseUrl, tdb.url, want, cron);
  }, 180_000);
});
