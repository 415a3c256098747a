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
 *   (read a second after the last request).
 *
 * CPU: the instance's process time (user + system, /proc) over each batch, less what the same process spends
 * in an idle wait as long (pools, timers), divided by the reads. /proc counts in 10 ms ticks: over hundreds of
 * reads the error is a fraction of a millisecond a read. Latency: p50, p90, p99 over the batch. Ratios
 * are against `page, cached` measured in the same run. Prints a table, one line of capacity (first renders a
 * second one core can do at that CPU cost), and writes bench/results/render-cost-<date>.json. Linux only
 * (/proc). It never asserts.
 *
 *   npm run bench:render-cost -- [--campaigns 20000] [--reads 300]
 */
import { parseArgs } from "node:util";
import { seedAtScale, seedCampaignId } from "@/db/seed-scale";
import { startApp } from "@/tests/support/env";
import { sleep } from "@/tests/support/wait";
import { wholeNumber } from "../scripts/args";
import { benchDatabase, cpuSnapshot, machine, percentile, say, writeResults } from "./support";

const USAGE = "usage: npm run bench:render-cost -- [--campaigns 20000] [--reads 300]";

function whole(name: string, raw: string, min: number): number {
  const n = wholeNumber(raw, min);
  if (n === undefined) {
    console.error(`[bench] --${name} must be a whole number of at least ${min} (got "${raw}")\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let values: { campaigns?: string; reads?: string };
try {
  ({ values } = parseArgs({
    options: { campaigns: { type: "string", default: "20000" }, reads: { type: "string", default: "300" } },
  }));
} catch (e) {
  console.error(`[bench] ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
const READS = whole("reads", values.reads ?? "300", 10);
const WARM = 100;
/** Campaign indices: the warm-up's first, then each batch's own (the page kinds share theirs). */
const CAMPAIGNS = whole("campaigns", values.campaigns ?? "20000", WARM * 2 + READS * 2);
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
  const cmd = `npm run bench:render-cost -- --campaigns ${CAMPAIGNS} --reads ${READS}`;
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

    /** One request at a time; the latency of each (ms), after checking its status and cache state. */
    const run = async (k: Kind): Promise<number[]> => {
      const times: number[] = [];
      for (const p of k.paths) {
        const t = performance.now();
        const r = await fetch(base + p);
        await r.arrayBuffer();
        times.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`${p} answered ${r.status}`);
        const state = r.headers.get("x-nextjs-cache");
        if (k.cache && state !== k.cache) throw new Error(`${k.name}: ${p} was ${state ?? "not cached"}, not ${k.cache}`);
      }
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
    const names = ["JSON, first read", "page, first render", "page, cached", "page, stale"] as const;
    const acc = new Map(names.map((n) => [n, { times: [] as number[], cpu: 0 }]));
    /** Run one kind's reads and add their latencies and CPU (less idle) to its account. */
    const measure = async (name: (typeof names)[number], k: Omit<Kind, "name">, settleMs: number) => {
      const a = acc.get(name) as { times: number[]; cpu: number };
      const c0 = cpuMs(pid);
      const w0 = performance.now();
      a.times.push(...(await run({ name, ...k })));
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
    const results: KindResult[] = names.map((name) => {
      const a = acc.get(name) as { times: number[]; cpu: number };
      const times = a.times.sort((x, y) => x - y);
      return {
        name,
        reads: times.length,
        p50Ms: percentile(times, 50),
        p90Ms: percentile(times, 90),
        p99Ms: percentile(times, 99),
        cpuMsPerRead: a.cpu / times.length,
      };
    });

    const baseline = results.find((r) => r.name === "page, cached") as KindResult;
    const f = (n: number) => n.toFixed(1);
    console.log(`\n${machine()}; ${cmd}; one request at a time, ${READS} distinct campaigns a kind\n`);
    console.log("| read | p50 ms | p90 ms | p99 ms | CPU ms a read | CPU × page, cached |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of results)
      console.log(
        `| ${r.name} | ${f(r.p50Ms)} | ${f(r.p90Ms)} | ${f(r.p99Ms)} | ${f(r.cpuMsPerRead)} | ${(r.cpuMsPerRead / baseline.cpuMsPerRead).toFixed(2)} |`,
      );
    const first = results.find((r) => r.name === "page, first render") as KindResult;
    console.log(
      `\nOne core renders at most about ${Math.floor(1000 / first.cpuMsPerRead)} pages a second never rendered before, and serves about ${Math.floor(1000 / baseline.cpuMsPerRead)} cached ones (CPU alone; idle process: ${f(idlePerMs * 1000)} ms a second).`,
    );
    const file = await writeResults(`render-cost-${new Date().toISOString().slice(0, 10)}`, {
      machine: machine(),
      command: cmd,
      redis: Boolean(process.env.REDIS_URL),
      campaigns: CAMPAIGNS,
      idleCpuMsPerSecond: idlePerMs * 1000,
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
