/**
 * `npm run bench`: how fast the app serves what people feel, in one command and one table. On loopback it
 * starts what it needs — a fresh database (a hot campaign, --campaigns more, donors with API tokens), the
 * production build (built first when stale) as two `npm start` instances, nginx with deploy/nginx.conf in front
 * of them when nginx is installed, and a bare Node.js server answering the hot campaign's JSON bytes — then
 * loads one row after the other (each announces itself, warms up, is measured) and prints
 *
 *   | row | req/s | p50 ms | p99 ms | ratio | baseline | non-2xx |
 *
 * Rows and their baselines (ratio = the row's req/s over its baseline's):
 *   bare Node.js, the hot campaign's bytes — the ceiling of this machine;
 *   Next.js GET floor (GET of an unknown /api path: the proxy, then the app's JSON 404) and POST floor (the
 *     same request as a contribution, to that unknown path) → bare Node;
 *   hot campaign JSON (GET /api/campaigns/{id}) and page (/campaigns/{id}, signed out: the cached view) straight
 *     to one instance, the same page for a signed-in viewer (a demo user's session cookie: rendered per request),
 *     and the JSON and page over all the campaigns in turn → the GET floor;
 *   the same through the front (nginx's micro-cache → both instances) → bare Node;
 *   contributions (POST /api/campaigns/{id}/contributions, sandbox card pm_card_visa, a fresh Idempotency-Key
 *     each, the donors' tokens in turn) on the hot campaign and over all the campaigns, to one instance → the
 *     POST floor.
 * Beside each row (Linux) it prints where the CPU went while it was measured, in ms of CPU time per request: the
 * direct instance, the other instance, PostgreSQL, Redis, nginx, the load generator with this process, the rest of
 * the machine and what was idle (from /proc, bench/support.ts `cpuByRole`); a second table gathers them.
 * After each contributions burst it measures how long until the totals are exact: the hot campaign's total and
 * count as GET /api/campaigns/{id} shows them, and the stored totals of all the campaigns, each against the sum
 * of their succeeded contributions.
 *
 * Load comes from wrk when installed (bench/wrk.lua shapes the requests; Debian: apt-get install wrk), else from
 * autocannon inside this process (which then shares the CPU with the bare Node.js server); the output says
 * which ran. Writes bench/results/<YYYY-MM-DD>.json (UTC; -quick.json with --quick, -rows.json with --rows). Exits 1 when
 * a row's first answer has the wrong status or a total still differs 30 s after a burst.
 *
 *   npm run bench -- [--quick] [--seconds 8] [--warmup 2] [--connections 50] [--threads 2] [--campaigns 1000]
 *                    [--generator wrk|autocannon] [--rows key,…]
 *
 * Before the first row, each Next.js floor loads the direct instance unmeasured (6 s; 2 s with --quick).
 * --quick: 2 s per row after 1 s of warm-up, 200 campaigns (about a minute on 2 cores, the build aside).
 * --threads is wrk's (autocannon runs in this process).
 * --rows measures only the rows with these keys (as in the results file, e.g. contributions-hot), with their
 * baselines: for working on one path; the full table is the figure to report.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import pLimit from "p-limit";
import type postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { openDb } from "@/db/client";
import { users } from "@/db/schema";
import { createApiToken } from "@/lib/auth/tokens";
import { createCampaign } from "@/lib/campaigns";
import { createCampaignSchema } from "@/lib/campaigns/schemas";
import { anyFreePort } from "@/lib/net/ports";
import { type AppServer, startApp } from "@/tests/support/env";
import { signIn } from "@/tests/support/http";
import { waitFor } from "@/tests/support/wait";
import { buildIfStale } from "../scripts/build-if-stale";
import { localNginxConf } from "../scripts/nginx-conf";
import {
  benchDatabase,
  cpuByRole,
  cpuSnapshot,
  machine,
  root,
  runWrk,
  say,
  totalsExactAfter,
  type WrkResult,
  writeResults,
} from "./support";

const USAGE = `usage: npm run bench -- [--quick] [--seconds N] [--warmup N] [--connections N] [--threads N] [--campaigns N] [--generator wrk|autocannon] [--rows key,…]`;

function fail(msg: string): never {
  console.error(`[bench] ${msg}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        seconds: { type: "string" },
        warmup: { type: "string" },
        connections: { type: "string", default: "50" },
        threads: { type: "string", default: "2" },
        campaigns: { type: "string" },
        generator: { type: "string" },
        rows: { type: "string" },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
})();

/** A whole number ≥ 1 from flag `name`, or exit 2 with the usage. */
function count(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number of at least 1 (got "${raw}")\n${USAGE}`);
  return n;
}

const QUICK = values.quick ?? false;
const SECONDS = count("seconds", values.seconds ?? (QUICK ? "2" : "8"));
const WARMUP = count("warmup", values.warmup ?? (QUICK ? "1" : "2"));
const CONNECTIONS = count("connections", values.connections ?? "50");
const THREADS = count("threads", values.threads ?? "2");
const CAMPAIGNS = count("campaigns", values.campaigns ?? (QUICK ? "200" : "1000"));
/** One donor (and API token) per connection: many people giving at once, none of them twice at the same instant. */
const DONORS = CONNECTIONS;
if (THREADS > CONNECTIONS) fail(`--threads (${THREADS}) cannot exceed --connections (${CONNECTIONS})`);

const which = (bin: string) => spawnSync("which", [bin]).stdout.toString().trim();
const wrkBin = which("wrk");
const nginxBin = which("nginx");
if (values.generator !== undefined && !["wrk", "autocannon"].includes(values.generator)) {
  fail(`--generator must be wrk or autocannon (got "${values.generator}")\n${USAGE}`);
}
const GENERATOR = (values.generator ?? (wrkBin ? "wrk" : "autocannon")) as "wrk" | "autocannon";
if (GENERATOR === "wrk" && !wrkBin) fail("--generator wrk: wrk is not installed (Debian: apt-get install wrk)");

const UNKNOWN_API_PATH = "/api/no-such-endpoint";
const COMMAND = ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");

/** What one row sends; wrk gets the same through bench/wrk.lua. */
interface Row {
  /** Stable identifier in the results file. */
  key: string;
  name: string;
  /** http://127.0.0.1:port */
  origin: string;
  /** One path, or many taken in turn. */
  paths: string[];
  /** POST a contribution (JSON body, a donor's bearer token, a fresh Idempotency-Key) instead of a GET. */
  contribution?: boolean;
  /** A Cookie header sent with every request (a signed-in viewer's session). */
  cookie?: string;
  /** The status every answer should have. */
  status: 200 | 201 | 404;
  /** Key of the row whose req/s this one is compared with. */
  baseline?: string;
  /** The campaigns a contributions row gives to: it checks that every answered request recorded a contribution. */
  campaignIds?: string[];
  /** Runs once the measured load ended (at epoch ms `end`): how long until the totals were exact (ms). */
  settle?: (end: number) => Promise<{ label: string; ms: number }>;
}

/** The rows with keys `only` and the baselines they are compared with (transitively); throws on an unknown key. */
function onlyRows(all: Row[], only: string[]): Row[] {
  const unknown = only.filter((k) => !all.some((r) => r.key === k));
  if (unknown.length) throw new Error(`--rows: no row ${unknown.join(", ")} (rows: ${all.map((r) => r.key).join(", ")})`);
  const keep = new Set<string>();
  for (const key of only) {
    for (let k: string | undefined = key; k; k = all.find((r) => r.key === k)?.baseline) keep.add(k);
  }
  return all.filter((r) => keep.has(r.key));
}

/** A contribution's JSON body: 100–149 minor units of USD by the sandbox's always-succeeding test card. */
const contributionBody = (n: number) =>
  JSON.stringify({ amount: 100 + (n % 50), currency: "USD", paymentMethod: "pm_card_visa" });

/** The n-th contribution request of a row: body and headers (token `n` in turn, key `${keyPrefix}-${n}`). */
function contributionRequest(tokens: string[], keyPrefix: string, n: number) {
  return {
    body: contributionBody(n),
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${tokens[n % tokens.length]}`,
      "idempotency-key": `${keyPrefix}-${n}`,
    },
  };
}

/** Seconds of unmeasured load on each floor before the first row (--quick: 2). */
const INSTANCE_WARMUP = QUICK ? 2 : 6;
/** --rows: the keys of the rows to measure (with their baselines), or all. */
const ONLY = values.rows
  ?.split(",")
  .map((k) => k.trim())
  .filter(Boolean);

/** Load `row` with CONNECTIONS connections for `seconds` from the generator; `keyPrefix` makes Idempotency-Keys unique. */
async function hammer(
  row: Row,
  seconds: number,
  keyPrefix: string,
  files: { work: string; tokens: string[] },
): Promise<WrkResult> {
  if (GENERATOR === "wrk") {
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_KEY_PREFIX: keyPrefix };
    if (row.paths.length > 1) {
      env.BENCH_PATHS = path.join(files.work, `${row.key}.paths`);
      writeFileSync(env.BENCH_PATHS, `${row.paths.join("\n")}\n`);
    }
    if (row.contribution) env.BENCH_TOKENS = path.join(files.work, "tokens");
    if (row.cookie) env.BENCH_COOKIE = row.cookie;
    return runWrk(wrkBin, { url: row.origin + row.paths[0], seconds, threads: THREADS, connections: CONNECTIONS, env });
  }
  let n = 0;
  const varies = row.paths.length > 1 || row.contribution;
  const r = await autocannon({
    url: row.origin,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: row.contribution ? "POST" : "GET",
        path: row.paths[0],
        ...(row.cookie && { headers: { cookie: row.cookie } }),
        ...(varies && {
          setupRequest: (req: autocannon.Request) => {
            n++;
            const p = row.paths[n % row.paths.length];
            return row.contribution
              ? { ...req, path: p, ...contributionRequest(files.tokens, keyPrefix, n) }
              : { ...req, path: p };
          },
        }),
      },
    ],
  });
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    socketErrors: r.errors,
  };
}

/** One request as the row sends it: its status must be the row's (else the figures would measure an error). */
async function probe(row: Row, tokens: string[], keyPrefix: string): Promise<void> {
  const res = await fetch(row.origin + row.paths[0], {
    method: row.contribution ? "POST" : "GET",
    ...(row.contribution ? contributionRequest(tokens, keyPrefix, 0) : {}),
    ...(row.cookie && { headers: { cookie: row.cookie } }),
  });
  const text = await res.text();
  if (res.status !== row.status) {
    throw new Error(`${row.name}: ${row.paths[0]} answered ${res.status}, not ${row.status}: ${text.slice(0, 300)}`);
  }
}

/** The hot campaign, --campaigns more (all active, USD), DONORS donors and one API token each. */
async function seed(url: string) {
  const { sql, db } = openDb(url, 4);
  try {
    const people = await db
      .insert(users)
      .values([
        { id: uuidv7(), email: "creator@bench.example.com", name: "Bench Creator" },
        ...Array.from({ length: DONORS }, (_, i) => ({
          id: uuidv7(),
          email: `donor${i + 1}@bench.example.com`,
          name: `Donor ${i + 1}`,
        })),
      ])
      .returning({ id: users.id, email: users.email, name: users.name, role: users.role });
    const [creator, ...donors] = people as [(typeof people)[number], ...typeof people];
    const campaign = (title: string, story: string) =>
      createCampaign(db, creator, createCampaignSchema.parse({ title, story, goalAmount: 10_000_000, currency: "USD" }));
    const hot = await campaign("A viral campaign", "A story. ".repeat(100));
    const limit = pLimit(4);
    const many = await Promise.all(
      Array.from({ length: CAMPAIGNS }, (_, i) => limit(() => campaign(`Campaign ${i + 1}`, "A story. ".repeat(20)))),
    );
    const tokens: string[] = [];
    for (const d of donors) tokens.push((await createApiToken(db, { userId: d.id, name: "bench" })).token);
    return { hot: hot.id, many: many.map((c) => c.id), tokens };
  } finally {
    await sql.end();
  }
}

/**
 * Poll every 20 ms (at most 30 s) until GET {origin}/api/campaigns/{id} shows exactly the sum (minor units) and
 * count of the campaign's succeeded contributions; ms from `since` (epoch ms), NaN when it never did.
 */
async function displayedExactAfter(sql: postgres.Sql, origin: string, id: string, since: number): Promise<number> {
  const exact = await waitFor(
    async () => {
      const [want] = await sql`select coalesce(sum(amount), 0)::bigint::text as amount, count(*)::int as n
                               from contributions where campaign_id = ${id} and status = 'succeeded'`;
      const shown = (await (await fetch(`${origin}/api/campaigns/${id}`)).json()) as {
        collectedAmount: number;
        contributionCount: number;
      };
      return shown.collectedAmount === Number(want?.amount) && shown.contributionCount === want?.n;
    },
    (ok) => ok,
    30_000,
    20,
  );
  return exact ? Date.now() - since : Number.NaN;
}

/** How many contributions the campaigns `ids` have, whatever their status. */
async function contributionsOf(sql: postgres.Sql, ids: string[]): Promise<number> {
  const [r] = await sql`select count(*)::int as n from contributions where campaign_id = any(${ids}::uuid[])`;
  return r?.n as number;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n < 10 ? n.toFixed(1) : int(n));
const times = (r: number) => (r >= 1 ? r.toFixed(2) : r.toPrecision(2));

function generatorVersion(): string {
  if (GENERATOR === "wrk") return spawnSync(wrkBin, ["-v"]).stdout.toString().split("\n")[0]?.split(" [")[0] ?? "wrk";
  const pkg = JSON.parse(readFileSync(path.join(root, "node_modules/autocannon/package.json"), "utf8")) as { version: string };
  return `autocannon ${pkg.version} (in the bench's own Node.js process)`;
}

async function main() {
  const generator = generatorVersion();
  say(`machine: ${machine()}`);
  say(`command: ${COMMAND}`);
  say(`load generator: ${generator}${GENERATOR === "autocannon" && !wrkBin ? " — wrk is not installed" : ""}`);
  buildIfStale(say);
  const runId = Date.now().toString(36);
  const work = path.join(tmpdir(), `cf-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const db = await benchDatabase("http");
  const apps: AppServer[] = [];
  let nginx: ReturnType<typeof spawn> | undefined;
  let bare: ReturnType<typeof createServer> | undefined;
  const sqlHandle = openDb(db.url, 1);
  const sql = sqlHandle.sql;
  try {
    say(`seeding a hot campaign, ${int(CAMPAIGNS)} more and ${DONORS} donors with API tokens…`);
    const seeded = await seed(db.url);
    writeFileSync(path.join(work, "tokens"), `${seeded.tokens.join("\n")}\n`);

    say("starting two app instances (npm start, every role)…");
    // A limit no row reaches (the bench measures serving, not the limiter), counted apart from other runs.
    const env = { RATE_LIMIT_MAX: "100000000", RATE_LIMIT_PREFIX: `cf:rl:bench:${runId}` };
    apps.push(await startApp(db.url, env), await startApp(db.url, env));
    const direct = `http://127.0.0.1:${apps[0]?.port}`;
    const hotJson = `/api/campaigns/${seeded.hot}`;
    const hotPage = `/campaigns/${seeded.hot}`;
    const manyJson = seeded.many.map((id) => `/api/campaigns/${id}`);
    const manyPage = seeded.many.map((id) => `/campaigns/${id}`);

    // The bytes and headers a load generator gets (it asks for no compression), less those of the connection.
    const sample = await fetch(direct + hotJson, { headers: { "accept-encoding": "identity" } });
    const body = await sample.text();
    const connectionHeaders = ["date", "connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"];
    const headers = Object.fromEntries([...sample.headers].filter(([k]) => !connectionHeaders.includes(k)));
    const barePort = await anyFreePort();
    bare = createServer((_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    }).listen(barePort, "127.0.0.1");

    let front: string | undefined;
    if (nginxBin) {
      const port = await anyFreePort();
      writeFileSync(path.join(work, "nginx.conf"), localNginxConf({ work, port, upstreams: apps.map((a) => a.port) }));
      nginx = spawn(nginxBin, ["-c", path.join(work, "nginx.conf"), "-g", "daemon off;"], { stdio: "inherit" });
      front = `http://127.0.0.1:${port}`;
      const up = await waitFor(
        () =>
          fetch(front + hotJson).then(
            (r) => r.status,
            () => 0,
          ),
        (s) => s === 200,
        10_000,
        100,
      );
      if (up !== 200) throw new Error(`nginx did not answer 200 in 10 s (last: ${up})`);
      say(`nginx (deploy/nginx.conf) at ${front} over both instances`);
    } else {
      say("nginx is not installed (Debian: apt-get install nginx): the rows through the front are left out");
    }

    const contributions = (id: string) => `/api/campaigns/${id}/contributions`;
    // A demo user's session (npm start seeds them): the page that knows its viewer is never cached.
    const viewerCookie = await signIn("alice@example.com", "password", direct);
    const allRows: Row[] = [
      {
        key: "bare-node",
        name: "bare Node.js ceiling (the hot campaign's bytes)",
        origin: `http://127.0.0.1:${barePort}`,
        paths: [hotJson],
        status: 200,
      },
      {
        key: "get-floor",
        name: "Next.js GET floor (unknown /api path, JSON 404)",
        origin: direct,
        paths: [UNKNOWN_API_PATH],
        status: 404,
        baseline: "bare-node",
      },
      {
        key: "post-floor",
        name: "Next.js POST floor (contribution to an unknown /api path, JSON 404)",
        origin: direct,
        paths: [UNKNOWN_API_PATH],
        contribution: true,
        status: 404,
        baseline: "bare-node",
      },
      {
        key: "hot-json-direct",
        name: "hot campaign JSON, direct",
        origin: direct,
        paths: [hotJson],
        status: 200,
        baseline: "get-floor",
      },
      {
        key: "hot-page-direct",
        name: "hot campaign page, direct",
        origin: direct,
        paths: [hotPage],
        status: 200,
        baseline: "get-floor",
      },
      {
        key: "hot-page-signed-in",
        name: "hot campaign page, signed in (rendered per request), direct",
        origin: direct,
        paths: [hotPage],
        cookie: viewerCookie,
        status: 200,
        baseline: "get-floor",
      },
      {
        key: "many-json-direct",
        name: `JSON of ${int(CAMPAIGNS)} campaigns in turn, direct`,
        origin: direct,
        paths: manyJson,
        status: 200,
        baseline: "get-floor",
      },
      {
        key: "many-page-direct",
        name: `pages of ${int(CAMPAIGNS)} campaigns in turn, direct`,
        origin: direct,
        paths: manyPage,
        status: 200,
        baseline: "get-floor",
      },
      ...(front
        ? ([
            {
              key: "hot-json-front",
              name: "hot campaign JSON, through nginx",
              origin: front,
              paths: [hotJson],
              status: 200,
              baseline: "bare-node",
            },
            {
              key: "hot-page-front",
              name: "hot campaign page, through nginx",
              origin: front,
              paths: [hotPage],
              status: 200,
              baseline: "bare-node",
            },
            {
              key: "many-json-front",
              name: `JSON of ${int(CAMPAIGNS)} campaigns in turn, through nginx`,
              origin: front,
              paths: manyJson,
              status: 200,
              baseline: "bare-node",
            },
          ] satisfies Row[])
        : []),
      {
        key: "contributions-hot",
        name: "contributions, one hot campaign",
        origin: direct,
        paths: [contributions(seeded.hot)],
        contribution: true,
        campaignIds: [seeded.hot],
        status: 201,
        baseline: "post-floor",
        settle: async (end) => ({
          label: "hot campaign's total shown by GET /api/campaigns/{id}",
          ms: await displayedExactAfter(sql, direct, seeded.hot, end),
        }),
      },
      {
        key: "contributions-many",
        name: `contributions, ${int(CAMPAIGNS)} campaigns in turn`,
        origin: direct,
        paths: seeded.many.map(contributions),
        contribution: true,
        campaignIds: seeded.many,
        status: 201,
        baseline: "post-floor",
        settle: async (end) => ({
          label: `stored totals of the ${int(CAMPAIGNS)} campaigns`,
          ms: await totalsExactAfter(sql, seeded.many, end),
        }),
      },
    ];
    const rows = ONLY ? onlyRows(allRows, ONLY) : allRows;

    const files = { work, tokens: seeded.tokens };
    const measured = new Map<string, WrkResult>();
    // Where each row's CPU goes (Linux): the two instances' process trees, the database and cache servers, nginx,
    // and this process with what it runs (wrk, once reaped; autocannon; the bare Node.js server). The servers are
    // counted whole: another database's work on the same PostgreSQL server shows in its column.
    const cpu = new Map<string, { role: string; ms: number }[]>();
    const inexact = new Set<string>();
    const cpuRoles = [
      { name: "direct instance", pids: [apps[0]?.process.pid ?? -1] },
      { name: "other instance", pids: [apps[1]?.process.pid ?? -1] },
      { name: "PostgreSQL", comm: "postgres" },
      { name: "Redis", comm: "redis-server" },
      { name: "nginx", comm: "nginx" },
      { name: "load generator and bench", pids: [process.pid] },
    ];
    const settled: { row: string; label: string; ms: number }[] = [];
    // A fresh Next.js server is slow until its code is compiled by V8 (the first row, the floor, would pay for it
    // all): load the direct instance with the GET and POST floors first, for INSTANCE_WARMUP seconds each, unmeasured.
    say(`warming up the direct instance (${INSTANCE_WARMUP} s of each floor, not measured)…`);
    for (const row of rows.filter((r) => r.key === "get-floor" || r.key === "post-floor"))
      await hammer(row, INSTANCE_WARMUP, `${runId}-${row.key}-instance-warm`, files);
    for (const [i, row] of rows.entries()) {
      const what = row.paths.length > 1 ? `${row.paths.length} paths in turn` : row.paths[0];
      say(`[${i + 1}/${rows.length}] ${row.name}: ${row.contribution ? "POST" : "GET"} ${row.origin} ${what}`);
      await probe(row, seeded.tokens, `${runId}-${row.key}-probe`);
      await hammer(row, WARMUP, `${runId}-${row.key}-warm`, files);
      const before = row.campaignIds && (await contributionsOf(sql, row.campaignIds));
      const cpuBefore = cpuSnapshot();
      const m = await hammer(row, SECONDS, `${runId}-${row.key}`, files);
      const end = Date.now();
      const cpuAfter = cpuSnapshot();
      measured.set(row.key, m);
      say(
        `      ${int(m.rps)} req/s, p50 ${ms(m.p50Ms)} ms, p99 ${ms(m.p99Ms)} ms, non-2xx ${int(m.non2xx)}, socket errors ${int(m.socketErrors)} (after ${WARMUP} s of warm-up)`,
      );
      if (cpuBefore && cpuAfter && m.requests > 0) {
        const used = cpuByRole(cpuBefore, cpuAfter, cpuRoles, cpus().length);
        const perRequest = used.roles.map((r) => ({ role: r.role, ms: r.ms / m.requests }));
        cpu.set(row.key, perRequest);
        if (!used.exact) inexact.add(row.key);
        say(
          `      CPU ms per request: ${perRequest.map((r) => `${r.role} ${r.ms.toFixed(2)}`).join(", ")}${used.exact ? "" : " (inexact: a figure was clamped at 0)"}`,
        );
      }
      if (row.key === "hot-json-front" && front) {
        say(`      X-Cache-Status now: ${(await fetch(front + hotJson)).headers.get("x-cache-status")}`);
      }
      if (row.settle) {
        const s = await row.settle(end);
        settled.push({ row: row.key, ...s });
        say(`      totals exact ${Number.isNaN(s.ms) ? "NOT within 30 s" : `${int(s.ms)} ms`} after the burst (${s.label})`);
      }
      if (row.campaignIds && before !== undefined) {
        // A repeated Idempotency-Key is answered 201 again without a new contribution: count what was recorded.
        // Requests still in flight when the load stopped may add a few more than were answered.
        const recorded = (await contributionsOf(sql, row.campaignIds)) - before;
        say(`      ${int(recorded)} contributions recorded for ${int(m.requests - m.non2xx)} answered 2xx`);
        if (recorded < m.requests - m.non2xx) {
          throw new Error(`${row.name}: fewer contributions recorded (${recorded}) than answered (${m.requests - m.non2xx})`);
        }
      }
    }

    const results = rows.map((row) => {
      const m = measured.get(row.key) as WrkResult;
      const base = row.baseline ? measured.get(row.baseline) : undefined;
      const baseRow = rows.find((r) => r.key === row.baseline);
      return {
        key: row.key,
        name: row.name,
        ...m,
        ratio: base ? m.rps / base.rps : null,
        baseline: baseRow?.name ?? null,
        cpuMsPerRequest: cpu.has(row.key) ? Object.fromEntries((cpu.get(row.key) ?? []).map((c) => [c.role, c.ms])) : null,
        cpuExact: cpu.has(row.key) ? !inexact.has(row.key) : null,
      };
    });
    const short = (name: string | null) => (name ? name.replace(/ \(.*\)$/, "") : "—");
    console.log("");
    console.log(
      `npm run bench — ${machine()}; load: ${generator}${GENERATOR === "wrk" ? `, ${THREADS} threads` : ""}, ${CONNECTIONS} connections, ${SECONDS} s per row after ${WARMUP} s of warm-up; command: ${COMMAND}`,
    );
    console.log("| row | req/s | p50 ms | p99 ms | ratio | baseline | non-2xx |");
    console.log("| --- | ---: | ---: | ---: | ---: | --- | ---: |");
    for (const r of results) {
      const errors = r.socketErrors > 0 ? ` (+${int(r.socketErrors)} socket errors)` : "";
      console.log(
        `| ${r.name} | ${int(r.rps)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${r.ratio === null ? "—" : times(r.ratio)} | ${short(r.baseline)} | ${int(r.non2xx)}${errors} |`,
      );
    }
    if (cpu.size > 0) {
      const roles = [...cpuRoles.map((r) => r.name), "rest of the machine", "idle"];
      console.log("");
      console.log(
        `CPU time per request (ms, from /proc, over all the row's requests whatever their status; a row's columns add up to about ${cpus().length} cores × its duration ÷ its requests, so "idle" is the headroom left at that rate; background work, such as the event consumers', is counted while it runs, so some of the warm-up's falls in the row and some of the row's after it; * = inexact, a figure was clamped at 0):`,
      );
      console.log(`| row | ${roles.join(" | ")} |`);
      console.log(`| --- |${" ---: |".repeat(roles.length)}`);
      for (const r of results) {
        const c = cpu.get(r.key);
        if (c) {
          const cells = roles.map((role) => (c.find((x) => x.role === role)?.ms ?? 0).toFixed(2));
          console.log(`| ${r.name}${inexact.has(r.key) ? " *" : ""} | ${cells.join(" | ")} |`);
        }
      }
    }
    console.log("");
    for (const s of settled) {
      console.log(`totals exact after the burst (${s.label}): ${Number.isNaN(s.ms) ? "NOT within 30 s" : `${int(s.ms)} ms`}`);
    }

    const date = new Date().toISOString().slice(0, 10);
    // A partial or quick run never overwrites the day's full table.
    const report = {
      date: new Date().toISOString(),
      command: COMMAND,
      machine: machine(),
      generator,
      threads: GENERATOR === "wrk" ? THREADS : null,
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      campaigns: CAMPAIGNS,
      donors: DONORS,
      nginx: Boolean(front),
      hotCampaignJsonBytes: Buffer.byteLength(body),
      rows: results,
      totalsExactMs: settled.map((s) => ({ row: s.row, what: s.label, ms: Number.isNaN(s.ms) ? null : s.ms })),
    };
    say(`wrote ${await writeResults(`${date}${QUICK ? "-quick" : ""}${ONLY ? "-rows" : ""}`, report)}`);
    if (settled.some((s) => Number.isNaN(s.ms))) {
      console.error("[bench] FAILED: a total still differed from its contributions 30 s after the burst");
      process.exitCode = 1;
    }
  } finally {
    nginx?.kill("SIGTERM");
    bare?.close();
    for (const a of apps) await a.stop();
    await sql.end();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
