/**
 * `npm run bench:read-curve`: how a campaign read's latency grows with the number of campaigns (issue 16,
 * item 2; docs/scaling.md, "The read-latency curve"). First, for each size, smallest first:
 *
 * 1. the database `cf_readcurve_<size>` on the server (--server, else DATABASE_URL, else the local
 *    PostgreSQL at 127.0.0.1:5432) is made if missing, migrated and seeded to that size by the resumable seed
 *    (db/seed-scale.ts; a database already seeded to the size is used as it is, an interrupted one finished);
 * 2. two web instances (`npm start` with SERVICES=web: no consumers, dispatcher nor scheduler, which reads do
 *    not need and whose daily flush would load the machine) and nginx with deploy/nginx.conf in front of both,
 *    each instance loaded unmeasured for 5 s (V8 compiles the code on first use).
 * Then (every size's instances running at once) each row is measured at every size in turn, so that the
 * sizes of one row are compared under the same load of a shared machine:
 * 3. wrk (loopback) loads eight rows, each after an unmeasured warm-up on other campaigns of the same draw:
 *    {JSON GET /api/campaigns/{id}, page GET /campaigns/{id} signed out} × {uniform over all the campaigns,
 *    Zipf-skewed (s = 1: the k-th most read campaign gets ∝ 1/k of the reads)} × {"cold", "cache"}:
 *    - cold: straight to one Next.js instance, no nginx. The app's own caches are as they always are: its
 *      in-process W-TinyLFU (1 s TTL) and Redis (10 s TTL, when REDIS_URL is set; each size in a Redis database
 *      of its own, emptied before its instances start: see redisFor) in front of PostgreSQL. With
 *      uniform reads over 10^5 or more campaigns nearly every read misses both and reads PostgreSQL;
 *    - cache: through nginx and its micro-cache (deploy/nginx.conf), over both instances;
 * 4. resident memory (VmRSS) of each process: the web instances, nginx (master and workers together), and
 *    the PostgreSQL backends connected to this database (their private memory, RssAnon: shared buffers are
 *    the server's, counted once apart).
 *
 * With each row it reads (Linux /proc) how busy the busier web instance was, as a share of one core, and PostgreSQL
 * (every process of the server, whatever database): an instance renders on one thread, so a row that keeps it
 * near a whole core measures a queue (bench/render-cost.ts gives what one read costs; --rate sets the load).
 *
 * Prints one table (size, row, req/s, p50, p99, those two CPU shares), the ratio p99 at the largest size over p99 at the smallest
 * for each row (the goal: ≤ 1.2) with a 95 % bootstrap interval and a verdict (bench/tail.ts), and writes
 * bench/results/read-curve-<YYYY-MM-DD>[-quick].json. The seeded
 * databases are kept for the next run (seeding 10^7 takes hours); --drop drops them at the end.
 *
 *   npm run bench:read-curve -- [--sizes 100000,1000000,10000000] [--quick] [--seconds 8] [--warmup 2]
 *                               [--connections 10] [--threads 2] [--server URL] [--seed 1] [--rounds 1] [--rate N]
 *                               [--side-by-side] [--drop]
 *
 * Ten connections by default: the curve is about latency, and wrk keeps every connection busy, so with more
 * connections than the instance serves at once p99 mostly measures the queue in front of it.
 * --rounds N: measure every row at every size N times (round after round). p50 and p99 are then those of every read
 *   of all the rounds together (wrk hands back its latency histogram: bench/wrk.lua), the other figures the median
 *   of the rounds. A p99 over 500 reads rests on its five slowest, which moved two to four times between rounds of
 *   one run; pooled over the rounds it rests on more of them, and the interval says how far it can be trusted.
 * --rate N: pace each row at most N requests a second (see RATE below), so that p99 is a read's cost, not a queue's.
 * --side-by-side: measure the sizes of a row at the same time rather than one after the other (see SIDE_BY_SIDE).
 * --quick: 3 s per row after 1 s of warm-up. Needs wrk (Debian: apt-get install wrk); nginx is optional (the
 * cache rows are left out without it).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import postgres from "postgres";
import { enableAppLogin } from "@/db/app-role";
import { migrateDatabase } from "@/db/migrate";
import { rngFor, seedAtScale, seedCampaignId } from "@/db/seed-scale";
import { anyFreePort } from "@/lib/net/ports";
import { type AppServer, startApp, TEST_APP_PASSWORD } from "@/tests/support/env";
import { waitFor } from "@/tests/support/wait";
import { wholeNumber } from "../scripts/args";
import { buildIfStale } from "../scripts/build-if-stale";
import { localNginxConf } from "../scripts/nginx-conf";
import { cpuByRole, cpuSnapshot, machine, runWrk, say, writeResults } from "./support";
import { MIN_READS_FOR_INTERVAL, type Pool, p99RatioInterval, pool, pooledPercentile, RESAMPLES } from "./tail";

const USAGE =
  "usage: npm run bench:read-curve -- [--sizes 100000,1000000,10000000] [--quick] [--seconds N] [--warmup N] [--connections N] [--threads N] [--server URL] [--seed S] [--rounds N] [--rate N] [--side-by-side] [--drop]";

function fail(msg: string): never {
  console.error(`[bench] ${msg}\n${USAGE}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        sizes: { type: "string", default: "100000,1000000,10000000" },
        quick: { type: "boolean", default: false },
        seconds: { type: "string" },
        warmup: { type: "string" },
        connections: { type: "string", default: "10" },
        threads: { type: "string", default: "2" },
        server: { type: "string" },
        seed: { type: "string", default: "1" },
        drop: { type: "boolean", default: false },
        rounds: { type: "string", default: "1" },
        rate: { type: "string" },
        "side-by-side": { type: "boolean", default: false },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
})();

function whole(name: string, raw: string, min = 1): number {
  return wholeNumber(raw, min) ?? fail(`--${name} must be whole numbers of at least ${min} (got "${raw}")`);
}

const QUICK = values.quick ?? false;
const SECONDS = whole("seconds", values.seconds ?? (QUICK ? "3" : "8"));
const WARMUP = whole("warmup", values.warmup ?? (QUICK ? "1" : "2"));
const CONNECTIONS = whole("connections", values.connections ?? "10");
const THREADS = whole("threads", values.threads ?? "2");
const SEED = whole("seed", values.seed ?? "1", 0);
const ROUNDS = whole("rounds", values.rounds ?? "1");
/**
 * --rate N: pace the load at most N requests a second (each connection waits a random pause after each answer, and
 * before its first request, exponential with a mean of connections ÷ N s: bench/wrk.lua), instead of as fast as
 * answers come. Random, not fixed: with a fixed pause the connections stayed in step and every read queued behind
 * the others of its burst (runs before 2 December 2026, 10:00 UTC, were paced so). Unpaced, wrk keeps every
 * connection busy, each row runs the instance at its limit and p99 measures the queue in front of it and the pauses
 * of a shared machine (rows of one size moved 0.2× to 2× between runs); paced below the limit, it measures what a
 * read costs.
 */
const RATE = values.rate === undefined ? undefined : whole("rate", values.rate);
const DELAY_MS = RATE === undefined ? undefined : Math.round((CONNECTIONS * 1000) / RATE);
// bench/wrk.lua cuts each pause at 4 s (the app's keep-alive closes idle connections after 5 s): with a mean
// above 1 s the cut would change the pacing.
if (DELAY_MS !== undefined && DELAY_MS > 1000)
  fail(`--rate ${RATE} with ${CONNECTIONS} connections pauses ${DELAY_MS} ms on average: at most 1000 (fewer --connections)`);
/**
 * --side-by-side: load every size of a row at the same time (one wrk each, each at --rate) instead of one size
 * after the other. The sizes of a row then share the same seconds of the machine: a pause of the host, a
 * checkpoint or a neighbour's burst lands on both, where run one after the other it lands on one and moves the
 * ratio (rounds of one run differed two-fold at p99). The cost: the sizes load each other (the machine carries
 * the sum of their rates), and PostgreSQL's busy share is the whole server's, so that of all the sizes together.
 */
const SIDE_BY_SIDE = values["side-by-side"] ?? false;
const SIZES = [...new Set((values.sizes ?? "").split(",").map((s) => whole("sizes", s.trim(), 10)))].sort((x, y) => x - y);
if (SIZES.length === 0) fail("--sizes names no size");
if (process.env.REDIS_URL && SIZES.length > 6)
  fail("with REDIS_URL set, at most six sizes (each caches in its own Redis database, 10 to 15)");
if (THREADS > CONNECTIONS) fail(`--threads (${THREADS}) cannot exceed --connections (${CONNECTIONS})`);
const SERVER = values.server ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const COMMAND = ["npm run bench:read-curve", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");

const which = (bin: string) => spawnSync("which", [bin]).stdout.toString().trim();
const wrkBin = which("wrk");
const nginxBin = which("nginx");
if (!wrkBin) fail("wrk is not installed (Debian: apt-get install wrk)");

/** Paths drawn per row and per warm-up (each wrk thread walks them from its own offset). */
const PATHS = 50_000;

interface Measured {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: number;
  /** wrk's latency histogram: [ms, how many reads], ascending (bench/wrk.lua). */
  latencies: [number, number][];
  /**
   * CPU time over the measured run, as a share of one core (1 = one core busy the whole run): the busier web
   * instance, and PostgreSQL (all its processes). An instance renders on one thread, so near 1 its p99 measures
   * the queue in front of it rather than a read (bench/render-cost.ts: what one read costs). NaN off Linux.
   */
  busiestWebCore: number;
  postgresCores: number;
}

/** `pacing`: seeds the paced pauses (bench/wrk.lua), so that runs side by side do not pause in step. */
async function wrk(
  origin: string,
  pathsFile: string,
  firstPath: string,
  seconds: number,
  pacing = 0,
): Promise<Omit<Measured, "busiestWebCore" | "postgresCores">> {
  return runWrk(wrkBin, {
    url: origin + firstPath,
    seconds,
    threads: THREADS,
    connections: CONNECTIONS,
    env: {
      ...process.env,
      BENCH_PATHS: pathsFile,
      ...(DELAY_MS === undefined ? {} : { BENCH_DELAY_MS: String(DELAY_MS), BENCH_SEED: String(SEED * 1_000_000 + pacing) }),
    },
    latencies: true,
  }).then((r) => ({ ...r, latencies: r.latencies ?? [] }));
}

type Draw = "uniform" | "zipf";

/**
 * `PATHS` campaign indexes in [0, size): uniform, or Zipf (s = 1) by rank, ranks spread over the campaigns by a
 * fixed bijection (so the most read are not all the oldest). `stream` keeps the warm-up's draw apart from the
 * measured one's.
 */
function draw(size: number, kind: Draw, stream: number): number[] {
  const r = rngFor(SEED, 100 + stream, size);
  const out: number[] = [];
  for (let k = 0; k < PATHS; k++) {
    if (kind === "uniform") out.push(Math.floor(r() * size));
    else {
      // Inverse of the continuous approximation of Zipf's CDF with s = 1: rank = (size + 1)^u − 1.
      const rank = Math.min(size - 1, Math.floor((size + 1) ** r()) - 1);
      out.push(Number((BigInt(rank) * 2654435761n + 12345n) % BigInt(size)));
    }
  }
  return out;
}

/** Resident memory of process `pid` in KiB: VmRSS, and RssAnon (its private part). */
function rss(pid: number): { rssKiB: number; anonKiB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
    return { rssKiB: kib("VmRSS"), anonKiB: kib("RssAnon") };
  } catch {
    return { rssKiB: 0, anonKiB: 0 };
  }
}

function children(pid: number): number[] {
  const out = spawnSync("pgrep", ["-P", String(pid)])
    .stdout.toString()
    .trim();
  return out ? out.split("\n").map(Number) : [];
}

const mib = (kib: number) => Math.round(kib / 1024);
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n < 10 ? n.toFixed(1) : int(n));
const pct = (share: number) => (Number.isNaN(share) ? "—" : `${Math.round(share * 100)} %`);

interface RowResult {
  size: number;
  key: string;
  name: string;
  origin: "direct" | "nginx";
  target: "json" | "page";
  draw: Draw;
  m: Measured;
}

interface SizeResult {
  size: number;
  /** The 1-minute load average when this size's rows were done: other work on the machine skews the figures. */
  loadAverage: number;
  seeded: { campaigns: number; contributions: number; ledgerLines: number; databaseBytes: number; seedMs: number | null };
  memory: {
    webMiB: number[];
    nginxMiB: number | null;
    postgresBackends: number;
    postgresBackendsPrivateMiB: number;
    postgresBackendsRssMiB: number;
    sharedBuffers: string;
  };
}

async function prepare(size: number): Promise<{ url: string; name: string; seedMs: number | null }> {
  const name = `cf_readcurve_${size}`;
  const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrateDatabase(url);
  await enableAppLogin(url, TEST_APP_PASSWORD);
  let last = 0;
  const s = await seedAtScale({
    url,
    campaigns: size,
    seed: SEED,
    onProgress: (p) => {
      if (!p.chunk || Date.now() - last < 15_000) return;
      last = Date.now();
      const secs = (Date.now() - p.startedMs) / 1000;
      say(
        `  seeding ${name}: ${int(p.campaignsDone)}/${int(p.campaignsWanted)} campaigns, ${int(p.rows)} rows (${int(p.rows / secs)} rows/s)`,
      );
    },
  });
  if (s.chunks > 0)
    say(`  seeded ${int(s.campaigns - s.before)} campaigns in ${(s.ms / 1000).toFixed(0)} s (${int(s.rows)} rows)`);
  return { url, name, seedMs: s.chunks > 0 ? s.ms : null };
}

/** One size's database, its two web instances and nginx, running until `stop()`. */
interface Stand {
  size: number;
  name: string;
  seedMs: number | null;
  sql: postgres.Sql;
  apps: AppServer[];
  nginx?: ReturnType<typeof spawn>;
  origins: { key: "direct" | "nginx"; origin: string }[];
  facts: { campaigns: number; contributions: number; lines: number; bytes: number };
  stop(): Promise<void>;
}

/**
 * With REDIS_URL set, the Redis logical database (10 + the size's place in --sizes) this size's instances cache
 * in, emptied first; undefined without REDIS_URL. Each size needs its own: the seed gives campaign i the same id
 * at every size, and the cache key is the campaign id, so sizes sharing one database would answer each other's
 * reads from the cache (and a previous run's entries would start a row warm).
 */
async function redisFor(size: number): Promise<string | undefined> {
  if (!process.env.REDIS_URL) return undefined;
  const u = new URL(process.env.REDIS_URL);
  u.pathname = `/${10 + SIZES.indexOf(size)}`;
  const client = new Redis(u.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushdb();
  } finally {
    client.disconnect();
  }
  return u.toString();
}

/** The `stop` of every size stood up or being stood up, so that an interrupted run stops them all. */
const running = new Set<() => Promise<void>>();

async function standUp(size: number, work: string): Promise<Stand> {
  say(`— ${int(size)} campaigns —`);
  const { url, name, seedMs } = await prepare(size);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const apps: AppServer[] = [];
  let nginx: ReturnType<typeof spawn> | undefined;
  const stop = async () => {
    running.delete(stop);
    nginx?.kill("SIGTERM");
    for (const a of apps) await a.stop();
    await sql.end();
  };
  running.add(stop);
  try {
    const [f] = await sql<{ campaigns: string; contributions: string; lines: string; bytes: string }[]>`
      select (select count(*) from campaigns)::text as campaigns,
             (select reltuples::bigint from pg_class where relname = 'contributions')::text as contributions,
             (select reltuples::bigint from pg_class where relname = 'ledger_lines')::text as lines,
             pg_database_size(current_database())::text as bytes`;
    const facts = {
      campaigns: Number(f?.campaigns),
      contributions: Number(f?.contributions),
      lines: Number(f?.lines),
      bytes: Number(f?.bytes),
    };
    if (facts.campaigns < size) throw new Error(`${name} holds ${facts.campaigns} campaigns, fewer than ${size}`);

    const runId = `${Date.now().toString(36)}-${size}`;
    const redisUrl = await redisFor(size);
    const env = {
      SERVICES: "web",
      RATE_LIMIT_MAX: "100000000",
      RATE_LIMIT_PREFIX: `cf:rl:curve:${runId}`,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    apps.push(await startApp(url, env), await startApp(url, env));
    const direct = `http://127.0.0.1:${apps[0]?.port}`;
    const origins: Stand["origins"] = [{ key: "direct", origin: direct }];
    if (nginxBin) {
      const port = await anyFreePort();
      const dir = path.join(work, String(size));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "nginx.conf"), localNginxConf({ work: dir, port, upstreams: apps.map((a) => a.port) }));
      nginx = spawn(nginxBin, ["-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: "inherit" });
      const front = `http://127.0.0.1:${port}`;
      const probe = `/api/campaigns/${seedCampaignId(SEED, 0)}`;
      const up = await waitFor(
        () =>
          fetch(front + probe).then(
            (r) => r.status,
            () => 0,
          ),
        (s) => s === 200,
        10_000,
        100,
      );
      if (up !== 200) throw new Error(`nginx did not answer 200 in 10 s (last: ${up})`);
      origins.push({ key: "nginx", origin: front });
    }
    // The instances' code is compiled by V8 on first use: load each unmeasured on campaigns of neither draw.
    const warmFile = path.join(work, `warm-${size}`);
    writeFileSync(
      warmFile,
      `${draw(size, "uniform", 9)
        .map((i) => `/api/campaigns/${seedCampaignId(SEED, i)}`)
        .join("\n")}\n`,
    );
    for (const a of apps)
      await wrk(`http://127.0.0.1:${a.port}`, warmFile, `/api/campaigns/${seedCampaignId(SEED, 0)}`, QUICK ? 2 : 5);
    return { size, name, seedMs, sql, apps, nginx, origins, facts, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * One row at one size, in two steps: `warmRow` writes its paths, checks the first answers 200 and loads it
 * unmeasured on a draw of its own; the `measure` it returns runs the measured load on another draw. Apart so that
 * --side-by-side can warm every size, then measure every size at once.
 */
async function warmRow(
  st: Stand,
  o: Stand["origins"][number],
  target: "json" | "page",
  d: Draw,
  stream: number,
  work: string,
): Promise<() => Promise<RowResult>> {
  const prefix = target === "json" ? "/api/campaigns/" : "/campaigns/";
  const file = (s: number) => {
    const f = path.join(work, `${st.size}-${o.key}-${target}-${d}-${s}`);
    writeFileSync(
      f,
      `${draw(st.size, d, s)
        .map((i) => prefix + seedCampaignId(SEED, i))
        .join("\n")}\n`,
    );
    return f;
  };
  const warm = file(stream * 2);
  const measured = file(stream * 2 + 1);
  const first = readFileSync(measured, "utf8").split("\n")[0] as string;
  const status = (await fetch(o.origin + first)).status;
  if (status !== 200) throw new Error(`${o.origin}${first} answered ${status}, not 200`);
  const pacing = stream * 100 + SIZES.indexOf(st.size);
  await wrk(o.origin, warm, first, WARMUP, pacing);
  return () => measureRow(st, o, target, d, measured, first, pacing + 50);
}

async function measureRow(
  st: Stand,
  o: Stand["origins"][number],
  target: "json" | "page",
  d: Draw,
  measured: string,
  first: string,
  pacing: number,
): Promise<RowResult> {
  const before = cpuSnapshot();
  const run = await wrk(o.origin, measured, first, SECONDS, pacing);
  const after = cpuSnapshot();
  let busiestWebCore = Number.NaN;
  let postgresCores = Number.NaN;
  if (before && after) {
    const roles = [
      ...st.apps.map((a, i) => ({ name: `web ${i}`, pids: [a.process.pid as number] })),
      { name: "postgres", comm: "postgres" },
    ];
    const wall = after.at - before.at;
    const used = cpuByRole(before, after, roles, cpus().length).roles;
    busiestWebCore = Math.max(...used.filter((r) => r.role.startsWith("web ")).map((r) => r.ms)) / wall;
    postgresCores = (used.find((r) => r.role === "postgres")?.ms ?? 0) / wall;
  }
  const m: Measured = { ...run, busiestWebCore, postgresCores };
  const rowName = `${target === "json" ? "JSON" : "page"}, ${d}, ${o.key === "direct" ? "cold (direct)" : "cache (nginx)"}`;
  say(
    `  ${int(st.size)}: ${rowName}: ${int(m.rps)} req/s, p50 ${ms(m.p50Ms)} ms, p99 ${ms(m.p99Ms)} ms, busier instance ${pct(m.busiestWebCore)} of a core, PostgreSQL ${pct(m.postgresCores)} (load average ${loadavg()[0]?.toFixed(2)})`,
  );
  if (m.non2xx > 0 || m.socketErrors > 0) throw new Error(`${rowName}: ${m.non2xx} non-2xx, ${m.socketErrors} socket errors`);
  return { size: st.size, key: `${target}-${d}-${o.key}`, name: rowName, origin: o.key, target, draw: d, m };
}

async function memoryOf(st: Stand): Promise<SizeResult> {
  const backends = await st.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  const pg = backends.map((b) => rss(b.pid));
  const [sb] = await st.sql<{ setting: string }[]>`select current_setting('shared_buffers') as setting`;
  const nginxPid = st.nginx?.pid;
  return {
    size: st.size,
    loadAverage: Number((loadavg()[0] as number).toFixed(2)),
    seeded: {
      campaigns: st.facts.campaigns,
      contributions: st.facts.contributions,
      ledgerLines: st.facts.lines,
      databaseBytes: st.facts.bytes,
      seedMs: st.seedMs,
    },
    memory: {
      webMiB: st.apps.map((a) => mib(rss(a.process.pid as number).rssKiB)),
      nginxMiB: nginxPid ? mib([nginxPid, ...children(nginxPid)].reduce((s, p) => s + rss(p).rssKiB, 0)) : null,
      postgresBackends: pg.length,
      postgresBackendsPrivateMiB: mib(pg.reduce((s, p) => s + p.anonKiB, 0)),
      postgresBackendsRssMiB: mib(pg.reduce((s, p) => s + p.rssKiB, 0)),
      sharedBuffers: sb?.setting ?? "?",
    },
  };
}

async function main() {
  say(`machine: ${machine()}`);
  say(`command: ${COMMAND}`);
  const generator = spawnSync(wrkBin, ["-v"]).stdout.toString().split("\n")[0]?.split(" [")[0] ?? "wrk";
  buildIfStale(say);
  const work = path.join(tmpdir(), `cf-read-curve-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const all: (RowResult & { round: number })[] = [];
  const sizes: SizeResult[] = [];
  const stands: Stand[] = [];
  // Ctrl-C (or a kill) mid-run would otherwise leave the web instances and nginx running: stop them, then exit.
  // An interrupted seed resumes on the next run.
  const interrupted = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the instances and nginx`);
    void Promise.allSettled([...running].map((stop) => stop())).finally(() => {
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    for (const size of SIZES) stands.push(await standUp(size, work));
    // Each row at every size back to back (rather than size after size): a shared machine's load changes over
    // minutes, and this way each row's sizes are measured under the same load as nearly as can be (with
    // --side-by-side, in the same seconds).
    let stream = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      if (ROUNDS > 1) say(`round ${round} of ${ROUNDS}`);
      for (const key of ["direct", "nginx"] as const) {
        for (const target of ["json", "page"] as const) {
          for (const d of ["uniform", "zipf"] as const) {
            stream++;
            const here = stands.flatMap((st) => {
              const o = st.origins.find((x) => x.key === key);
              return o ? [{ st, o }] : [];
            });
            if (SIDE_BY_SIDE) {
              const measures = await Promise.all(here.map(({ st, o }) => warmRow(st, o, target, d, stream, work)));
              for (const r of await Promise.all(measures.map((m) => m()))) all.push({ ...r, round });
            } else {
              for (const { st, o } of here) all.push({ ...(await (await warmRow(st, o, target, d, stream, work))()), round });
            }
          }
        }
      }
    }
    for (const st of stands) sizes.push(await memoryOf(st));
  } finally {
    for (const st of stands) await st.stop();
    rmSync(work, { recursive: true, force: true });
  }

  // With --rounds > 1: p50 and p99 of a row at a size are those of all its rounds' reads together, each other
  // figure the median of its rounds (each figure on its own).
  const median = (xs: number[]) => {
    const v = [...xs].sort((x, y) => x - y);
    return v.length % 2 ? (v[(v.length - 1) / 2] as number) : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
  };
  const rows: RowResult[] = [];
  const pools = new Map<string, Pool>();
  for (const r of all) {
    if (rows.some((x) => x.size === r.size && x.key === r.key)) continue;
    const same = all.filter((x) => x.size === r.size && x.key === r.key).map((x) => x.m);
    const m = (f: (x: Measured) => number) => median(same.map(f));
    const pl = pool(same);
    pools.set(`${r.size} ${r.key}`, pl);
    rows.push({
      ...r,
      m: {
        requests: m((x) => x.requests),
        rps: m((x) => x.rps),
        p50Ms: pooledPercentile(pl, 50),
        p99Ms: pooledPercentile(pl, 99),
        non2xx: m((x) => x.non2xx),
        socketErrors: m((x) => x.socketErrors),
        busiestWebCore: m((x) => x.busiestWebCore),
        postgresCores: m((x) => x.postgresCores),
        latencies: [],
      },
    });
  }
  const head = `npm run bench:read-curve — ${machine()}; ${process.env.REDIS_URL ? "Redis (a database per size)" : "no Redis"}; ${generator}, ${THREADS} threads, ${CONNECTIONS} connections, ${SECONDS} s per row after ${WARMUP} s of warm-up${RATE === undefined ? "" : `, paced at most ${RATE} req/s (each connection waits a random pause, exponential with a mean of ${DELAY_MS} ms, after an answer)`}${SIDE_BY_SIDE ? ", the sizes of a row side by side (at once, each at that rate)" : ""}${ROUNDS > 1 ? `, ${ROUNDS} rounds (p50 and p99 over all their reads, the rest the median of the rounds)` : ""}; command: ${COMMAND}`;
  console.log("");
  console.log(head);
  console.log(
    "cold = straight to one Next.js instance (its 1 s in-process cache and Redis's 10 s in front of PostgreSQL); cache = through nginx's micro-cache over two instances",
  );
  console.log("| campaigns | row | req/s | p50 ms | p99 ms | busier instance, of a core | PostgreSQL, cores |");
  console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
  const ordered = [...rows].sort((x, y) => x.size - y.size);
  for (const r of ordered)
    console.log(
      `| ${int(r.size)} | ${r.name} | ${int(r.m.rps)} | ${ms(r.m.p50Ms)} | ${ms(r.m.p99Ms)} | ${pct(r.m.busiestWebCore)} | ${Number.isNaN(r.m.postgresCores) ? "—" : r.m.postgresCores.toFixed(2)} |`,
    );
  const smallest = SIZES[0] as number;
  const largest = SIZES[SIZES.length - 1] as number;
  const ratios = rows
    .filter((r) => r.size === largest)
    .map((r, i) => {
      const base = rows.find((x) => x.size === smallest && x.key === r.key);
      const large = pools.get(`${largest} ${r.key}`) as Pool;
      const small = pools.get(`${smallest} ${r.key}`);
      // Seeded from --seed: the same reads give the same interval.
      const interval = small ? p99RatioInterval(large, small, rngFor(SEED, 900 + i, 0)) : null;
      // The goal holds when the whole interval is within 1.2, fails when the whole of it is above, and this run
      // cannot tell when it straddles 1.2 (or has too few reads for an interval).
      const verdict: "within" | "above" | "undecided" | "too few" = !interval
        ? "too few"
        : interval.high <= 1.2
          ? "within"
          : interval.low > 1.2
            ? "above"
            : "undecided";
      return {
        key: r.key,
        name: r.name,
        ratio: base ? r.m.p99Ms / base.m.p99Ms : null,
        interval95: interval,
        verdict,
        reads: { large: large.reads, small: small?.reads ?? 0 },
      };
    });
  if (largest !== smallest) {
    console.log("");
    console.log(
      `p99 at ${int(largest)} over p99 at ${int(smallest)} (goal ≤ 1.2), with its 95 % bootstrap interval (${RESAMPLES} resamples of this run's reads):`,
    );
    const says = {
      within: "within 1.2",
      above: "ABOVE 1.2",
      undecided: "undecided: the interval straddles 1.2",
      "too few": `no interval: fewer than ${int(MIN_READS_FOR_INTERVAL)} reads at a size (more --rounds or --seconds)`,
    };
    for (const r of ratios)
      console.log(
        `  ${r.name}: ${r.ratio === null ? "—" : r.ratio.toFixed(2)}${r.interval95 ? ` (${r.interval95.low.toFixed(2)}–${r.interval95.high.toFixed(2)}; ${int(r.reads.large)} and ${int(r.reads.small)} reads)` : ""}  ${says[r.verdict]}`,
      );
  }
  console.log("");
  console.log(
    "| campaigns | contributions | ledger lines | database | seeded in | load average | web RSS MiB | nginx RSS MiB | PostgreSQL backends (private / RSS MiB) |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |");
  for (const s of sizes) {
    console.log(
      `| ${int(s.size)} | ${int(s.seeded.contributions)} | ${int(s.seeded.ledgerLines)} | ${(s.seeded.databaseBytes / 2 ** 30).toFixed(2)} GiB | ${s.seeded.seedMs === null ? "already seeded" : `${(s.seeded.seedMs / 1000).toFixed(0)} s`} | ${s.loadAverage} | ${s.memory.webMiB.join(", ")} | ${s.memory.nginxMiB ?? "—"} | ${s.memory.postgresBackends}: ${s.memory.postgresBackendsPrivateMiB} / ${s.memory.postgresBackendsRssMiB} (shared_buffers ${s.memory.sharedBuffers}) |`,
    );
  }
  console.log("worker roles (consumers, dispatcher, scheduler) were not started: reads do not use them.");

  const date = new Date().toISOString().slice(0, 10);
  const written = await writeResults(`read-curve-${date}${QUICK ? "-quick" : ""}`, {
    date: new Date().toISOString(),
    command: COMMAND,
    machine: machine(),
    generator,
    threads: THREADS,
    connections: CONNECTIONS,
    rate: RATE ?? null,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    seed: SEED,
    nginx: Boolean(nginxBin),
    redis: Boolean(process.env.REDIS_URL),
    rounds: ROUNDS,
    sideBySide: SIDE_BY_SIDE,
    rows: rows.map((r) => ({ size: r.size, key: r.key, name: r.name, ...r.m, latencies: undefined })),
    eachRound: all.map((r) => ({ round: r.round, size: r.size, key: r.key, ...r.m, latencies: undefined })),
    p99Ratios: largest === smallest ? [] : ratios,
    sizes,
  });
  say(`wrote ${written}`);

  if (values.drop) {
    const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
    try {
      for (const s of SIZES) await admin.unsafe(`drop database if exists "cf_readcurve_${s}" with (force)`);
    } finally {
      await admin.end();
    }
    say("dropped the seeded databases (--drop)");
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
