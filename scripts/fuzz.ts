/**
 * `npm run fuzz`: the full fuzz run (docs/security.md, "Fuzzing"). Builds the app if its sources changed,
 * starts it on a fresh database (DATABASE_URL's server, else the embedded test server) with its rate
 * limit out of the way, and sends FUZZ_RUNS (default 10,000) requests generated from the OpenAPI document
 * with seed FUZZ_SEED (default random), printing progress and a summary. Exits 1 on any 5xx, any refusal
 * without its error body, or any change made by refused requests, after printing each failure with the seed.
 */
import { TEST_AUTH_SECRET } from "@/tests/support/env";
import { generateRequests, prepareWorld, runFuzz, summary } from "@/tests/support/fuzz";
import { startOwnApp } from "@/tests/support/own-app";
import { buildIfStale } from "./build-if-stale";

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.FUZZ_RUNS ?? 10_000);

buildIfStale((m) => console.log(`[fuzz] ${m}`));
console.log(`[fuzz] seed ${seed} (FUZZ_SEED=${seed} npm run fuzz replays it), ${runs} requests`);
const own = await startOwnApp("fuzzrun", { RATE_LIMIT_MAX: "100000000", RATE_LIMIT_PREFIX: `cf:rl:fuzzrun:${Date.now()}` });
let failed = true;
try {
  const doc = await (await fetch(`${own.app.baseUrl}/api/openapi.json`)).json();
  const world = await prepareWorld({
    base: own.app.baseUrl,
    sql: own.sql,
    tokens: { alice: own.alice, bob: own.bob, carol: own.carol },
    authSecret: TEST_AUTH_SECRET,
  });
  let reported = 0;
  const stats = await runFuzz(world, generateRequests(doc, seed, runs), {
    seed,
    batch: 40,
    concurrency: 6,
    progress: (s) => {
      if (s.requests - reported < 500 && s.requests < runs) return;
      reported = s.requests;
      const rate = s.requests / Math.max(1, s.ms / 1000);
      console.log(`[fuzz] ${s.requests}/${runs} (${rate.toFixed(0)}/s), 5xx ${s.fiveXX}, failures ${s.failures.length}`);
    },
  });
  for (const f of stats.failures) console.log(`\n[fuzz] FAILURE ${f}`);
  console.log(`\n[fuzz] seed ${seed}\n${summary(stats)}`);
  failed = stats.failures.length > 0;
} finally {
  await own.stop();
}
process.exit(failed ? 1 : 0);
