/** Shared bits of the benchmarks: a fresh database, the machine, percentiles. */
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { provisionDatabase } from "@/tests/support/env";

export const root = path.resolve(import.meta.dirname, "..");

export function machine(): string {
  const c = cpus();
  return `${c.length} cores (${c[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A fresh, migrated database for one benchmark run: the test harness's (refuses a non-local server). */
export const benchDatabase = (label: string) => provisionDatabase(`bench_${label}`);

export const say = (msg: string) => console.log(`[bench] ${msg}`);
