/**
 * The tail of a latency sample pooled over several runs, and how far a ratio of two p99s can be trusted: what
 * `npm run bench:read-curve` (bench/read-curve.ts) reports with --rounds. A p99 over 500 reads rests on its five
 * slowest, which moved two to four times between rounds of one run; pooled over the rounds it rests on more of
 * them, and the interval says whether the run can tell a ratio of 1.2 from one of 1.5 at all.
 */

/**
 * The reads of several runs of one row as one sample: each run's latency histogram ([ms, how many reads], as
 * runWrk gives it, bench/wrk.lua) merged in ascending order of latency, with the running count of reads.
 */
export interface Pool {
  /** Latencies (ms), ascending. */
  values: Float64Array;
  /** cumulative[i]: the reads at values[0..i]. */
  cumulative: Float64Array;
  /** All the reads. */
  reads: number;
  /** Every value is one read (no two reads share a latency): a bootstrap draw is then a uniform index. */
  unit: boolean;
}

/** Pool runs' histograms of [ms, reads] pairs (any order; counts of 0 are left out). */
export function pool(runs: { latencies: [number, number][] }[]): Pool {
  const pairs = runs.flatMap((r) => r.latencies).filter(([, n]) => n > 0);
  pairs.sort((a, b) => a[0] - b[0]);
  const values = new Float64Array(pairs.length);
  const cumulative = new Float64Array(pairs.length);
  let total = 0;
  pairs.forEach(([v, n], i) => {
    values[i] = v;
    total += n;
    cumulative[i] = total;
  });
  return { values, cumulative, reads: total, unit: pairs.every(([, n]) => n === 1) };
}

/**
 * The first index whose running count exceeds `target` (reads): the value at index floor(p·n) of all the reads
 * sorted, as bench/support.ts's `percentile` takes it (and as wrk's own percentile does, for p99 at 100 to 2,000
 * reads at least).
 */
function rankOf(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The p-th percentile (0–100) of a pool, ms; NaN when it is empty. */
export function pooledPercentile(pl: Pool, p: number): number {
  if (pl.values.length === 0) return Number.NaN;
  return pl.values[rankOf(pl.cumulative, (p / 100) * pl.reads)] as number;
}

/**
 * Fewest reads a pool needs for an interval: 1,000, so that p99 is the tenth-slowest read or further in. With
 * fewer, p99 is one of the few slowest reads and a bootstrap of it says little (with 100 reads it is the slowest,
 * which a resample can only repeat or undercut).
 */
export const MIN_READS_FOR_INTERVAL = 1000;

/** Bootstrap resamples behind an interval, unless the caller asks for another number. */
export const RESAMPLES = 1000;

/**
 * A 95 % percentile-bootstrap interval of p99(`large`) ÷ p99(`small`): `resamples` times (default 1000), as many
 * reads as each pool stands for are drawn from it with replacement, and the ratio of their p99s taken; the interval
 * runs from the 2.5th to the 97.5th percentile of those ratios. `random` gives floats in [0, 1) (seed it for the
 * same interval on the same reads). null when a pool stands for fewer than MIN_READS_FOR_INTERVAL reads.
 *
 * Every read is drawn as if independent of the others. It covers the chance of which reads happened to be slow,
 * not what differs between rounds or runs (other load on the machine; the read curve's rounds of one row have
 * differed more than that), so it is narrower than the scatter between runs. Written by hand: no kept npm package
 * bootstraps a histogram, and here each resample's p99 comes from counting the draws per value of the pool (its
 * values are already sorted), which costs the reads drawn rather than a sort of them.
 */
export function p99RatioInterval(
  large: Pool,
  small: Pool,
  random: () => number,
  resamples = RESAMPLES,
): { low: number; high: number } | null {
  if (large.reads < MIN_READS_FOR_INTERVAL || small.reads < MIN_READS_FOR_INTERVAL) return null;
  const resampledP99 = (pl: Pool, counts: Uint32Array): number => {
    counts.fill(0);
    const n = pl.reads; // a whole number: wrk's counts
    for (let i = 0; i < n; i++) {
      const k = pl.unit ? Math.floor(random() * n) : rankOf(pl.cumulative, random() * pl.reads);
      counts[k] = (counts[k] as number) + 1;
    }
    const want = Math.floor(0.99 * n); // as percentile(): the value at index floor(0.99 n) of the sorted draws
    let seen = 0;
    for (let k = 0; k < counts.length; k++) {
      seen += counts[k] as number;
      if (seen > want) return pl.values[k] as number;
    }
    return pl.values[pl.values.length - 1] as number;
  };
  const cl = new Uint32Array(large.values.length);
  const cs = new Uint32Array(small.values.length);
  const ratios: number[] = [];
  for (let b = 0; b < resamples; b++) ratios.push(resampledP99(large, cl) / resampledP99(small, cs));
  ratios.sort((x, y) => x - y);
  return { low: ratios[Math.floor(0.025 * resamples)] as number, high: ratios[Math.ceil(0.975 * resamples) - 1] as number };
}
