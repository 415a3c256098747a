/**
 * `npm run bench:render-cost`: what one read costs a web instance, in its own CPU time and in latency, when
 * nothing queues in front of it: the figure behind the read curve's page rows (bench/read-curve.ts;
 * docs/scaling.md, "What a first render costs").
 *
 * One instance (`npm start` with SERVICES=web, so no consumer, dispatcher nor scheduler spends CPU beside it) on
 * a fresh database seeded by the scale seed (db/seed-scale.ts, --campaigns, default 20,000), loaded unmeasured
 * on campaigns no kind uses, then, one request at a time, --reads distinct campaigns (default 300) per kind:
 *
 * - `JSON, first read`: GET /api/campaigns/{id} of a campaign not read before (misses the in-process cache, and
 *   Redis when REDIS_URL is set; reads PostgreSQL);
 * - `page, first render`: GET /campaigns/{id} signed out, never rendered before (x-nextjs-cache MISS): the
 *   reader waits for the campaign, its newest gifts and updates to be read and the page rendered;
 * - `page, cached`: each page again while it is still fresh (HIT; the first renders go in groups of 20, each
 *   group read again at once): served from the instance's page cache. The baseline;
 * - `page, stale`: every page again once its 2 s are over (STALE): served from the cache, and re-rendered in the
 *   background, which the next request (one at a time) may wait behind. Its CPU counts the background renders
 *   (read a second after the last request);
 * - `page, first render, N paced clients`: first renders again, but as the read curve sends them (bench/read-curve.ts
 *   --rate): --clients clients for --paced-seconds, each waiting a random pause before each request, exponential
 *   with a mean of clients ÷ --rate s (a fixed pause lets closed-loop clients fall into step and arrive in
 *   bursts: bench/wrk.lua), so renders sometimes overlap. An instance renders on one thread: overlapping renders
 *   share it, and each takes as long as the CPU of all of them. After the table comes what sharing one processor
 *   would predict for the mean (M/G/1 processor sharing: the first render's mean alone ÷ (1 − the share of a core
 *   the instance was busy)). It is a rough reference, not a bound: it assumes Poisson arrivals (these are
 *   closed-loop clients, near Poisson only while the instance answers fast against their pauses), counts the
 *   database's part of a render as the thread's, and takes the process's CPU on all its threads.
 *
 * CPU: the instance's process time (user + system, /proc) over each batch, less what the same process spends
 * in an idle wait as long (pools, timers), divided by the reads. /proc counts in 10 ms ticks: over hundreds of
 * reads the error is a fraction of a millisecond a read. Latency: p50, p90, p99 over the batch. Ratios
 * are against `page, cached` measured in the same run. Prints a table, one line of capacity (first renders a
 * second one core can do at that CPU cost), and writes bench/results/render-cost-<date>.json. Linux only
 * (/proc). It never asserts.
 *
 *   npm run bench:render-cost -- [--campaigns 20000] [--reads 300] [--clients 10] [--rate 12] [--paced-seconds 30]
 */
import { parseArgs } from "node:util";
import { rngFor, seedAtScale, seedCampaignId } from "@/db/seed-scale";
import { startApp } from "@/tests/support/env";
import { sleep } from "@/tests/support/wait";
import { wholeNumber } from "../scripts/args";
import { benchDatabase, cpuSnapshot, machine, percentile, say, writeResults } from "./support";

const USAGE =
  "usage: npm run bench:render-cost -- [--campaigns 20000] [--reads 300] [--clients 10] [--rate 12] [--paced-seconds 30]";

function whole(name: string, raw: string, min: number): number {
  const n = wholeNumber(raw, min);
  if (n === undefined) {
    console.error(`[bench] --${name} must be a whole number of at least ${min} (got "${raw}")\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let values: { campaigns?: string; reads?: string; clients?: string; rate?: string; "paced-seconds"?: string };
try {
  ({ values } = parseArgs({
    options: {
      campaigns: { type: "string", default: "20000" },
      reads: { type: "string", default: "300" },
      clients: { type: "string", default: "10" },
      rate: { type: "string", default: "12" },
      "paced-seconds": { type: "string", default: "30" },
    },
  }));
} catch (e) {
  console.error(`[bench] ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
const READS = whole("reads", values.reads ?? "300", 10);
const CLIENTS = whole("clients", values.clients ?? "10", 1);
const RATE = whole("rate", values.rate ?? "12", 1);
const PACED_SECONDS = whole("paced-seconds", values["paced-seconds"] ?? "30", 1);
/** Each paced client's mean pause before a request (ms): CLIENTS of them make at most RATE requests a second. */
const PAUSE_MS = (CLIENTS * 1000) / RATE;
/** Campaigns the paced clients can reach: three times what their mean pauses allow (the pauses are random). */
const PACED_READS = 3 * CLIENTS * Math.ceil((PACED_SECONDS * 1000) / PAUSE_MS + 1);
const WARM = 100;
/** rngFor's stream for the paced clients' pauses. */
const PAUSE_STREAM = 1_000;
/** Campaign indices: the warm-up's first, then each batch's own (the page kinds share theirs), then the paced ones. */
const CAMPAIGNS = whole("campaigns", values.campaigns ?? "20000", WARM * 2 + READS * 2 + PACED_READS);
/** The signed-out page's revalidate time (app/(public)/campaigns/[id]/public/page.tsx), plus a margin. */
const STALE_AFTER_MS = 2_500;
/** First renders per group, each group read again at once (a group's renders take well under 2 s). */
const GROUP = 20;
/** Time left after the last read of a batch for what it set off (a background render) to finish. */
const SETTLE_MS = 1_000;

interface Kind {
  name: string;
  /** What x-nextjs-cache must say (undefined: not a page). */
  cache?: "MISS" | "HIT" | "STALE";
  paths: string[];
}

interface KindResult {
  name: string;
  reads: number;
  meanMs: number;
  /** The instance's CPU over the batch (less idle) as a share of one core. */
  busyShare: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  cpuMsPerRead: number;
}

/** The app process's own CPU time (ms) so far, children it reaped included. */
function cpuMs(pid: number): number {
  const p = cpuSnapshot()?.procs.get(pid);
  if (!p) throw new Error(`no /proc entry for pid ${pid} (this bench reads Linux's /proc)`);
  return p.ms;
}

async function main() {
  const cmd = `npm run bench:render-cost -- --campaigns ${CAMPAIGNS} --reads ${READS} --clients ${CLIENTS} --rate ${RATE} --paced-seconds ${PACED_SECONDS}`;
  say(`machine: ${machine()}`);
  say(`command: ${cmd}${process.env.REDIS_URL ? " (REDIS_URL set)" : ""}`);
  const db = await benchDatabase("rendercost");
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    let last = 0;
    const seeded = await seedAtScale({
      url: db.url,
      campaigns: CAMPAIGNS,
      onProgress: (p) => {
        if (!p.chunk || Date.now() - last < 5_000) return;
        last = Date.now();
        say(`  seeding: ${p.campaignsDone.toLocaleString("en-US")}/${p.campaignsWanted.toLocaleString("en-US")} campaigns`);
      },
    });
    say(
      `seeded ${CAMPAIGNS.toLocaleString("en-US")} campaigns (${seeded.rows.toLocaleString("en-US")} rows) in ${(seeded.ms / 1000).toFixed(0)} s`,
    );
    app = await startApp(db.url, {
      SERVICES: "web",
      RATE_LIMIT_MAX: "100000000",
      RATE_LIMIT_PREFIX: `cf:rl:render-cost:${Date.now().toString(36)}`,
    });
    const base = app.baseUrl;
    const pid = app.process.pid as number;
    const id = (i: number) => seedCampaignId(1, i);

    /** One read: its latency (ms), after checking its status and cache state. */
    const read = async (k: Omit<Kind, "paths">, p: string): Promise<number> => {
      const t = performance.now();
      const r = await fetch(base + p);
      await r.arrayBuffer();
      const ms = performance.now() - t;
      if (r.status !== 200) throw new Error(`${p} answered ${r.status}`);
      const state = r.headers.get("x-nextjs-cache");
      if (k.cache && state !== k.cache) throw new Error(`${k.name}: ${p} was ${state ?? "not cached"}, not ${k.cache}`);
      return ms;
    };
    /** One request at a time; the latency of each (ms). */
    const run = async (k: Kind): Promise<number[]> => {
      const times: number[] = [];
      for (const p of k.paths) times.push(await read(k, p));
      return times;
    };
    const pacedName = `page, first render, ${CLIENTS} paced clients`;
    /**
     * CLIENTS clients for PACED_SECONDS, each pausing before every request (exponential, mean PAUSE_MS, seeded
     * per client: the same pauses every run) and taking the next path.
     */
    const paced = async (k: Kind): Promise<number[]> => {
      const times: number[] = [];
      const end = performance.now() + PACED_SECONDS * 1000;
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const random = rngFor(1, PAUSE_STREAM, c);
          const pause = () => sleep(-Math.log(1 - random()) * PAUSE_MS); // random() < 1: a finite pause
          for (await pause(); performance.now() < end && next < k.paths.length; await pause())
            times.push(await read(k, k.paths[next++] as string));
        }),
      );
      return times;
    };

    // V8 compiles the code on first use: warm both paths on campaigns no batch reads.
    say(`warming up on ${WARM} campaigns`);
    for (let i = 0; i < WARM; i++)
      await run({ name: "warm-up", paths: [`/api/campaigns/${id(i)}`, `/campaigns/${id(WARM + i)}`] });
    await sleep(SETTLE_MS);

    // What the process spends doing nothing, per ms.
    const idleFrom = cpuMs(pid);
    const idleWait = 5_000;
    await sleep(idleWait);
    const idlePerMs = (cpuMs(pid) - idleFrom) / idleWait;

    const jsonIds = Array.from({ length: READS }, (_, i) => id(WARM * 2 + i));
    const pageIds = Array.from({ length: READS }, (_, i) => id(WARM * 2 + READS + i));
    const pacedIds = Array.from({ length: PACED_READS }, (_, i) => id(WARM * 2 + READS * 2 + i));
    const names = ["JSON, first read", "page, first render", "page, cached", "page, stale", pacedName] as const;
    const acc = new Map(names.map((n) => [n, { times: [] as number[], cpu: 0, wallMs: 0 }]));
    /** Run one kind's reads and add their latencies and CPU (less idle) to its account. */
    const measure = async (name: (typeof names)[number], k: Omit<Kind, "name">, settleMs: number, how = run) => {
      const a = acc.get(name) as { times: number[]; cpu: number; wallMs: number };
      const c0 = cpuMs(pid);
      const w0 = performance.now();
      a.times.push(...(await how({ name, ...k })));
      a.wallMs += performance.now() - w0;
      await sleep(settleMs);
      a.cpu += cpuMs(pid) - c0 - idlePerMs * (performance.now() - w0);
    };
    say(`JSON, first read: ${READS} reads`);
    await measure("JSON, first read", { paths: jsonIds.map((i) => `/api/campaigns/${i}`) }, 200);
    // A page is fresh for 2 s after its render: each group of first renders is read again at once, while
    // every page of the group is still fresh.
    say(`page, first render and page, cached: ${READS} reads each, in groups of ${GROUP}`);
    for (let g = 0; g < READS; g += GROUP) {
      const paths = pageIds.slice(g, g + GROUP).map((i) => `/campaigns/${i}`);
      await measure("page, first render", { cache: "MISS", paths }, 100);
      await measure("page, cached", { cache: "HIT", paths }, 100);
    }
    await sleep(STALE_AFTER_MS);
    say(`page, stale: ${READS} reads`);
    await measure("page, stale", { cache: "STALE", paths: pageIds.map((i) => `/campaigns/${i}`) }, SETTLE_MS);
    say(`${pacedName}: at most ${RATE} a second for ${PACED_SECONDS} s`);
    await measure(pacedName, { cache: "MISS", paths: pacedIds.map((i) => `/campaigns/${i}`) }, 100, paced);
    const results: KindResult[] = names.map((name) => {
      const a = acc.get(name) as { times: number[]; cpu: number; wallMs: number };
      const times = a.times.sort((x, y) => x - y);
      return {
        name,
        reads: times.length,
        meanMs: times.reduce((x, y) => x + y, 0) / times.length,
        busyShare: a.cpu / a.wallMs,
        p50Ms: percentile(times, 50),
        p90Ms: percentile(times, 90),
        p99Ms: percentile(times, 99),
        cpuMsPerRead: a.cpu / times.length,
      };
    });

    const baseline = results.find((r) => r.name === "page, cached") as KindResult;
    const f = (n: number) => n.toFixed(1);
    console.log(
      `\n${machine()}; ${cmd}; one request at a time, ${READS} distinct campaigns a kind (the paced kind: ${CLIENTS} clients, each pausing at random, ${Math.round(PAUSE_MS)} ms on average, before a request)\n`,
    );
    console.log(
      "| read | reads | mean ms | p50 ms | p90 ms | p99 ms | CPU ms a read | CPU × page, cached | instance busy, of a core |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of results)
      console.log(
        `| ${r.name} | ${r.reads} | ${f(r.meanMs)} | ${f(r.p50Ms)} | ${f(r.p90Ms)} | ${f(r.p99Ms)} | ${f(r.cpuMsPerRead)} | ${(r.cpuMsPerRead / baseline.cpuMsPerRead).toFixed(2)} | ${Math.round(r.busyShare * 100)} % |`,
      );
    const first = results.find((r) => r.name === "page, first render") as KindResult;
    const pacedResult = results.find((r) => r.name === pacedName) as KindResult;
    // Near a whole core the prediction runs to infinity and means nothing: the rate asked for more than one core.
    const predicted = pacedResult.busyShare < 0.9 ? first.meanMs / (1 - pacedResult.busyShare) : Number.NaN;
    console.log(
      `\nPaced, first renders took ${f(pacedResult.meanMs)} ms on average with the instance ${Math.round(pacedResult.busyShare * 100)} % busy; ${
        Number.isNaN(predicted)
          ? "too busy for a processor-sharing reference (lower --rate)"
          : `one processor shared (M/G/1 processor sharing, a rough reference) would predict ${f(first.meanMs)} ÷ (1 − ${pacedResult.busyShare.toFixed(2)}) = ${f(predicted)} ms (measured: ${(pacedResult.meanMs / predicted).toFixed(2)} × that)`
      }.`,
    );
    console.log(
      `\nOne core renders at most about ${Math.floor(1000 / first.cpuMsPerRead)} pages a second never rendered before, and serves about ${Math.floor(1000 / baseline.cpuMsPerRead)} cached ones (CPU alone; idle process: ${f(idlePerMs * 1000)} ms a second).`,
    );
    const file = await writeResults(`render-cost-${new Date().toISOString().slice(0, 10)}`, {
      machine: machine(),
      command: cmd,
      redis: Boolean(process.env.REDIS_URL),
      campaigns: CAMPAIGNS,
      idleCpuMsPerSecond: idlePerMs * 1000,
      paced: {
        clients: CLIENTS,
        rate: RATE,
        seconds: PACED_SECONDS,
        pauseMs: PAUSE_MS,
        processorSharingMeanMs: Number.isNaN(predicted) ? null : predicted,
      },
      results,
    });
    say(`wrote ${file}`);
  } finally {
    await app?.stop();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
