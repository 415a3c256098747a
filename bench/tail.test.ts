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

describe("pooled percentiles", () => {
  it("are those of all the reads of the runs together", () => {
    const a = sample(700, 1);
    const b = sample(900, 2, 35);
    const pl = pool([
      { requests: a.length, latenciesMs: a },
      { requests: b.length, latenciesMs: b },
    ]);
    const all = [...a, ...b].sort((x, y) => x - y);
    expect(pl.reads).toBe(1600);
    for (const p of [0, 50, 90, 99, 100]) expect(pooledPercentile(pl, p)).toBe(percentile(all, p));
  });

  it("weigh quantiles by the reads each stands for", () => {
    // One run handed back 100 quantiles for 1,000 reads (each stands for ten), the other 100 reads of 1,000 ms.
    const quantiles = Array.from({ length: 100 }, (_, i) => i + 1);
    const pl = pool([
      { requests: 1000, latenciesMs: quantiles },
      { requests: 100, latenciesMs: Array(100).fill(1000) },
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
  const of = (xs: number[]) => pool([{ requests: xs.length, latenciesMs: xs }]);

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
