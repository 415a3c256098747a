/**
 * Hit ratio and throughput of TinyLfu (lib/cache/tinylfu.ts, W-TinyLFU) vs lru-cache's LRUCache at equal
 * capacity, on synthetic traces from a seeded PRNG (the same traces on every run), replayed as
 * "get, and set on miss". ops/s counts requests (one get, plus the set when it missed), median of --reps runs.
 * Prints progress lines, then a markdown table; it never asserts.
 *
 *   npm run bench:cache -- [--requests 1000000] [--keys 100000] [--capacity 1000] [--reps 3]
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { LRUCache } from "lru-cache";
import { TinyLfu } from "@/lib/cache/tinylfu";
import { prng, zipf } from "@/tests/support/traces";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1000000" },
    keys: { type: "string", default: "100000" },
    capacity: { type: "string", default: "1000" },
    reps: { type: "string", default: "3" },
  },
});
const REQUESTS = Number(values.requests);
const KEYS = Number(values.keys);
const CAPACITY = Number(values.capacity);
const REPS = Math.max(1, Number(values.reps));
const say = (msg: string) => console.log(`[bench] ${msg}`);

/** A random permutation of 0..n-1 (rank → key id, so key ids carry no hint of popularity). */
function permutation(n: number, random: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

interface Trace {
  name: string;
  keys: Int32Array;
}

/** Zipf(s) requests; `shiftEvery` re-permutes the popularity ranking; `scan` inserts bursts of never-seen keys. */
function makeTrace(
  name: string,
  s: number,
  seed: number,
  opts: { shiftEvery?: number; scan?: { every: number; burst: number } } = {},
): Trace {
  const random = prng(seed);
  const next = zipf(KEYS, s, random);
  const keys = new Int32Array(REQUESTS);
  let perm = permutation(KEYS, random);
  let fresh = KEYS; // never-seen key ids start past the Zipf key space
  let sinceScan = 0;
  for (let i = 0; i < REQUESTS; ) {
    if (opts.shiftEvery && i > 0 && i % opts.shiftEvery === 0) perm = permutation(KEYS, random);
    if (opts.scan && sinceScan === opts.scan.every) {
      for (let b = 0; b < opts.scan.burst && i < REQUESTS; b++) keys[i++] = fresh++;
      sinceScan = 0;
      continue;
    }
    keys[i++] = perm[next()]!;
    sinceScan++;
  }
  return { name, keys };
}

// One replay function per cache class keeps each call site monomorphic (fair to both).
function replayTiny(capacity: number, keys: Int32Array): { hits: number; ms: number } {
  const cache = new TinyLfu<number, number>({ maximumSize: capacity });
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) === undefined) cache.set(k, i);
    else hits++;
  }
  return { hits, ms: performance.now() - t0 };
}

function replayLru(capacity: number, keys: Int32Array): { hits: number; ms: number } {
  const cache = new LRUCache<number, number>({ max: capacity });
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) === undefined) cache.set(k, i);
    else hits++;
  }
  return { hits, ms: performance.now() - t0 };
}

// The same two loops over string keys (separate functions, so the number-key loops above stay monomorphic).
function replayTinyStrings(capacity: number, keys: string[]): { hits: number; ms: number } {
  const cache = new TinyLfu<string, number>({ maximumSize: capacity });
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) === undefined) cache.set(k, i);
    else hits++;
  }
  return { hits, ms: performance.now() - t0 };
}

function replayLruStrings(capacity: number, keys: string[]): { hits: number; ms: number } {
  const cache = new LRUCache<string, number>({ max: capacity });
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) === undefined) cache.set(k, i);
    else hits++;
  }
  return { hits, ms: performance.now() - t0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const cpu = cpus();
console.log(`# cache hit ratio: TinyLfu (W-TinyLFU) vs lru-cache LRUCache`);
console.log(
  `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${process.platform}/${process.arch}`,
);
console.log(`command: ${[process.argv0, ...process.execArgv, ...process.argv.slice(1)].join(" ")}`);
console.log(
  `requests per trace: ${REQUESTS.toLocaleString("en")}, Zipf key space: ${KEYS.toLocaleString("en")}, reps: ${REPS} (median ops/s)`,
);

const started = performance.now();
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const traces: [Trace, number[]][] = [
  [makeTrace("zipf 0.8", 0.8, 1), [CAPACITY]],
  [makeTrace("zipf 1.0", 1.0, 2), [CAPACITY / 10, CAPACITY, CAPACITY * 10]],
  [makeTrace("zipf 1.2", 1.2, 3), [CAPACITY]],
  [
    makeTrace("zipf 1.0 + scans (5,000 new keys every 10,000 requests)", 1.0, 4, { scan: { every: 10_000, burst: 5_000 } }),
    [CAPACITY],
  ],
  [makeTrace("zipf 1.0, ranking re-permuted every 100,000 requests", 1.0, 5, { shiftEvery: 100_000 }), [CAPACITY]],
];
say(`generated ${traces.length} traces in ${fmt(performance.now() - started)} ms`);

// Warm both implementations' JIT before measuring.
replayTiny(CAPACITY, traces[0]![0].keys.subarray(0, 200_000));
replayLru(CAPACITY, traces[0]![0].keys.subarray(0, 200_000));

type Run = (capacity: number) => { hits: number; ms: number };
const rows: string[] = [];
function measure(name: string, capacity: number, n: number, tiny: Run, lru: Run): void {
  const tinyMs: number[] = [];
  const lruMs: number[] = [];
  let tinyHits = 0;
  let lruHits = 0;
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate which cache runs first so neither always gets the same GC/heap state.
    for (const which of rep % 2 === 0 ? [tiny, lru] : [lru, tiny]) {
      const r = which(capacity);
      if (which === tiny) {
        tinyHits = r.hits;
        tinyMs.push(r.ms);
      } else {
        lruHits = r.hits;
        lruMs.push(r.ms);
      }
    }
  }
  const tinyHit = (100 * tinyHits) / n;
  const lruHit = (100 * lruHits) / n;
  const tinyOps = n / (median(tinyMs) / 1000);
  const lruOps = n / (median(lruMs) / 1000);
  say(
    `${name} @ ${fmt(capacity)}: TinyLFU ${tinyHit.toFixed(2)} % hits, ${fmt(tinyOps)} ops/s; LRU ${lruHit.toFixed(2)} % hits, ${fmt(lruOps)} ops/s`,
  );
  const gain = tinyHit - lruHit;
  rows.push(
    `| ${name} | ${fmt(capacity)} | ${tinyHit.toFixed(2)} | ${lruHit.toFixed(2)} | ${fmt(tinyOps)} | ${fmt(lruOps)} | ${gain >= 0 ? "+" : ""}${gain.toFixed(2)} |`,
  );
}

for (const [trace, capacities] of traces) {
  for (const capacity of capacities) {
    measure(
      trace.name,
      capacity,
      trace.keys.length,
      (c) => replayTiny(c, trace.keys),
      (c) => replayLru(c, trace.keys),
    );
  }
}
// Same Zipf(1.0) trace with string keys: TinyLfu then also pays its own FNV-1a hash of every key.
const zipf10 = traces[1]![0];
const strings = Array.from(zipf10.keys, (k) => `campaign:${k}`);
replayTinyStrings(CAPACITY, strings.slice(0, 200_000));
replayLruStrings(CAPACITY, strings.slice(0, 200_000));
measure(
  `${zipf10.name}, string keys`,
  CAPACITY,
  strings.length,
  (c) => replayTinyStrings(c, strings),
  (c) => replayLruStrings(c, strings),
);

console.log("");
console.log("| trace | capacity | TinyLFU hit % | LRU hit % | TinyLFU ops/s | LRU ops/s | hit-ratio gain (pp) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
console.log("");
say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
