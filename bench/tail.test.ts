import { describe, expect, it } from "vitest";
import { rngFor } from "@/db/seed-scale";
import { percentile } from "./support";
import { MIN_READS_FOR_INTERVAL, p99RatioInterval, pool, pooledPercentile } from "./tail";

/** n latencies (ms, ascending) of a long-tailed distribution (log-normal, median `median`), scaled by `factor`. */
function sample(n: number, stream: number, median = 20, factor = 1): number[] {
  const r = rngFor(7, stream, 0);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    // Box–Muller: a standard normal from two uniforms.
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out.push(median * Math.exp(0.6 * z) * factor);
  }
  return out.sort((a, b) => a - b);
}

/** A histogram ([ms, reads], ascending) of latencies as wrk hands it back (bench/wrk.lua). */
function hist(xs: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const x of [...xs].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[0] === x) last[1]++;
    else out.push([x, 1]);
  }
  return out;
}

describe("pooled percentiles", () => {
  it("are those of all the reads of the runs together", () => {
    const a = sample(700, 1);
    const b = sample(900, 2, 35);
    const pl = pool([{ latencies: hist(a) }, { latencies: hist(b) }]);
    const all = [...a, ...b].sort((x, y) => x - y);
    expect(pl.reads).toBe(1600);
    for (const p of [0, 50, 90, 99, 100]) expect(pooledPercentile(pl, p)).toBe(percentile(all, p));
  });

  it("count each value as many times as wrk saw it", () => {
    // One run: 1,000 reads, ten at each of 1..100 ms; the other 100 reads, all at 1,000 ms.
    const pl = pool([
      { latencies: Array.from({ length: 100 }, (_, i): [number, number] => [i + 1, 10]) },
      { latencies: [[1000, 100]] },
    ]);
    expect(pl.reads).toBe(1100);
    // 1,000 of 1,100 reads are at most 100 ms: p90 is among them, p95 is not.
    expect(pooledPercentile(pl, 90)).toBeLessThanOrEqual(100);
    expect(pooledPercentile(pl, 95)).toBe(1000);
  });

  it("are NaN for no reads", () => {
    expect(pooledPercentile(pool([]), 99)).toBeNaN();
  });
});

describe("p99RatioInterval", () => {
  const of = (xs: number[]) => pool([{ latencies: hist(xs) }]);

  it("holds 1 for two samples of one distribution, and is narrower with more reads", () => {
    const small = p99RatioInterval(of(sample(1500, 3)), of(sample(1500, 4)), rngFor(7, 99, 0));
    const big = p99RatioInterval(of(sample(20_000, 5)), of(sample(20_000, 6)), rngFor(7, 99, 1), 400);
    expect(small).not.toBeNull();
    expect(big).not.toBeNull();
    if (!small || !big) return;
    expect(small.low).toBeLessThan(1);
    expect(small.high).toBeGreaterThan(1);
    expect(big.low).toBeLessThan(1);
    expect(big.high).toBeGreaterThan(1);
    expect(big.high - big.low).toBeLessThan((small.high - small.low) / 2);
  });

  it("lies wholly above 1.2 when the larger size is half as slow again", () => {
    const iv = p99RatioInterval(of(sample(20_000, 7, 20, 1.5)), of(sample(20_000, 8)), rngFor(7, 99, 2), 400);
    expect(iv).not.toBeNull();
    expect(iv?.low).toBeGreaterThan(1.2);
    expect(iv?.high).toBeLessThan(2);
  });

  it("draws reads in proportion to their counts", () => {
    // 0.5 % of the reads at 100 ms: p99 is 10 ms, and a resample almost never holds the 101 slow reads it would
    // take to move it; drawn per distinct value instead, half the draws would be 100 ms.
    const w = pool([{ latencies: [[10, 9950]] }, { latencies: [[100, 50]] }]);
    expect(pooledPercentile(w, 99)).toBe(10);
    expect(p99RatioInterval(w, pool([{ latencies: [[10, 1000]] }]), rngFor(7, 5, 0), 50)).toEqual({ low: 1, high: 1 });
  });

  it("takes the 99th percentile of each resample", () => {
    // 2 % of the reads at 100 ms: p99 is 100 ms (p95 would be 10), in nearly every resample as in the sample.
    const slow = pool([
      {
        latencies: [
          [10, 980],
          [100, 20],
        ],
      },
    ]);
    const fast = pool([{ latencies: [[10, 1000]] }]);
    expect(p99RatioInterval(slow, fast, rngFor(7, 6, 0), 200)).toEqual({ low: 10, high: 10 });
  });

  it("gives the same interval for the same seed", () => {
    const a = of(sample(2000, 9));
    const b = of(sample(2000, 10));
    expect(p99RatioInterval(a, b, rngFor(7, 5, 0), 200)).toEqual(p99RatioInterval(a, b, rngFor(7, 5, 0), 200));
  });

  it("refuses a pool with too few reads for a p99 to be resampled", () => {
    const few = of(sample(MIN_READS_FOR_INTERVAL - 1, 11));
    expect(p99RatioInterval(few, of(sample(5000, 12)), rngFor(7, 5, 0))).toBeNull();
    expect(p99RatioInterval(of(sample(5000, 12)), few, rngFor(7, 5, 0))).toBeNull();
  });
});
