/** Shared bits of the benchmarks: a fresh database, the machine, percentiles, exact totals. */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type postgres from "postgres";
import { provisionDatabase } from "@/tests/support/env";
import { waitFor } from "@/tests/support/wait";

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

/**
 * Poll (every 20 ms, for at most 30 s) until every campaign in `ids` stores exactly the sum (minor units) and
 * the count of its succeeded contributions; returns the ms from `since` (epoch ms, e.g. the last write) to
 * that moment, or NaN when some total still differs after 30 s.
 */
export async function totalsExactAfter(sql: postgres.Sql, ids: string[], since: number): Promise<number> {
  const bad = await waitFor(
    async () => {
      const [r] = await sql`
        select count(*)::int as bad from campaigns c
        left join (select campaign_id, sum(amount) as total, count(*) as n from contributions
                   where campaign_id = any(${ids}::uuid[]) and status = 'succeeded' group by campaign_id) s on s.campaign_id = c.id
        where c.id = any(${ids}::uuid[])
          and (c.collected_amount <> coalesce(s.total, 0) or c.contribution_count <> coalesce(s.n, 0))`;
      return r?.bad as number;
    },
    (n) => n === 0,
    30_000,
    20,
  );
  return bad === 0 ? Date.now() - since : Number.NaN;
}

/**
 * CPU time of the whole machine and of every process on it, read from Linux's /proc (undefined elsewhere): what
 * `cpuByRole` subtracts to tell where a row's CPU went. Written by hand: the npm packages for it (pidusage,
 * ps-list) answer a rate per process since their last call, not the cumulative times with those of reaped
 * children, which is what makes a difference of two snapshots exact when processes come and go (a wrk run, a
 * PostgreSQL backend that disconnects: their time moves to the parent that reaped them).
 */
export interface CpuSnapshot {
  /** ms since the epoch */
  at: number;
  /** Busy CPU time of all cores (ms): user, nice, system, irq, softirq and steal of /proc/stat's `cpu` line. */
  busyMs: number;
  /** pid → its command name, parent and CPU time (ms) with that of its reaped children. */
  procs: Map<number, { comm: string; ppid: number; ms: number }>;
}

/** ms per clock tick of /proc's times: `getconf CLK_TCK` (100 on x86-64 and arm64 Linux), read once. */
let tickMs: number | undefined;
const TICK_MS = () => {
  tickMs ??= 1000 / (Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100);
  return tickMs;
};

export function cpuSnapshot(): CpuSnapshot | undefined {
  if (process.platform !== "linux") return undefined;
  const at = Date.now();
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  const procs: CpuSnapshot["procs"] = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // it exited meanwhile
    }
    // "pid (comm) state ppid … utime stime cutime cstime …": comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const f = stat.slice(close + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    procs.set(Number(name), { comm: stat.slice(stat.indexOf("(") + 1, close), ppid: Number(f[1]), ms: ticks * TICK_MS() });
  }
  return { at, busyMs: (user + nice + system + irq + softirq + steal) * TICK_MS(), procs };
}

/**
 * The CPU time (ms) each role used between two snapshots. A role is the process trees rooted at `pids`, or the
 * processes named `comm` (with what they reaped); a process counts for the first role it matches. `rest` is the
 * machine's busy time that no role accounts for; `idle` what was left of `cores` × the time between the snapshots.
 * `exact` is false when a figure had to be clamped at 0: a process reaped by a parent of another role (an instance
 * that died during the row) moves its whole life's time to that parent's role, and the per-process and machine-wide
 * counters are read a moment apart; the figures then only roughly add up.
 */
export function cpuByRole(
  a: CpuSnapshot,
  b: CpuSnapshot,
  roles: { name: string; pids?: number[]; comm?: string }[],
  cores: number,
): { roles: { role: string; ms: number }[]; exact: boolean } {
  const byRole = (s: CpuSnapshot) => {
    const inTree = (pid: number, roots: number[]): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
        if (roots.includes(p)) return true;
        const parent = s.procs.get(p)?.ppid;
        if (parent === undefined) return false;
        p = parent;
      }
      return false;
    };
    const ms = roles.map(() => 0);
    for (const [pid, p] of s.procs) {
      const i = roles.findIndex((r) => (r.comm !== undefined && p.comm === r.comm) || (r.pids && inTree(pid, r.pids)));
      if (i >= 0) ms[i] = (ms[i] ?? 0) + p.ms;
    }
    return ms;
  };
  const [before, after] = [byRole(a), byRole(b)];
  const raw = roles.map((r, i) => ({ role: r.name, ms: (after[i] ?? 0) - (before[i] ?? 0) }));
  const busy = b.busyMs - a.busyMs;
  const named = raw.reduce((n, r) => n + r.ms, 0);
  raw.push({ role: "rest of the machine", ms: busy - named });
  raw.push({ role: "idle", ms: cores * (b.at - a.at) - busy });
  // Tick rounding makes a few ms negative now and then: only a clamp of more than 2 ticks a role is inexact.
  const exact = raw.every((r) => r.ms >= -2 * TICK_MS());
  return { roles: raw.map((r) => ({ role: r.role, ms: Math.max(0, r.ms) })), exact };
}

/** One wrk run's figures (bench/wrk.lua's `done()`): counts, rate (req/s) and latency percentiles (ms). */
export interface WrkResult {
  requests: number;
  seconds: number;
  /** Answered requests per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with another status than 2xx (wrk: 4xx and 5xx). */
  non2xx: number;
  /** Connect, read and write errors and timeouts. */
  socketErrors: number;
  /**
   * With `latencies: true`: wrk's latency histogram, [ms, how many reads], ascending (bench/wrk.lua: with wrk's
   * coordinated-omission copies, as its own percentiles).
   */
  latencies?: [number, number][];
}

/**
 * Run wrk (`bin`) with bench/wrk.lua against `url` for `seconds`, `threads` threads and `connections`
 * connections (10 s request timeout); `env` passes the script's inputs (BENCH_PATHS, BENCH_TOKENS, …).
 * Throws when wrk printed no BENCH_RESULT line.
 */
export async function runWrk(
  bin: string,
  o: { url: string; seconds: number; threads: number; connections: number; env: NodeJS.ProcessEnv; latencies?: boolean },
): Promise<WrkResult> {
  const { stdout } = await promisify(execFile)(
    bin,
    [
      "-t",
      String(o.threads),
      "-c",
      String(o.connections),
      "-d",
      `${o.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      path.join(root, "bench", "wrk.lua"),
      o.url,
    ],
    { env: { ...o.env, ...(o.latencies ? { BENCH_LATENCIES: "1" } : {}) }, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  // bench/wrk.lua's done(): counts, and durations in microseconds.
  const r = JSON.parse(line.slice("BENCH_RESULT ".length)) as {
    requests: number;
    durationUs: number;
    p50Us: number;
    p99Us: number;
    non2xx: number;
    socketErrors: number;
  };
  return {
    requests: r.requests,
    seconds: r.durationUs / 1e6,
    rps: r.requests / (r.durationUs / 1e6),
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    non2xx: r.non2xx,
    socketErrors: r.socketErrors,
    ...(o.latencies ? { latencies: latencyLine(stdout) } : {}),
  };
}

/** bench/wrk.lua's BENCH_LATENCIES line ("µs:count", ascending) as [ms, count]; empty when wrk answered nothing. */
function latencyLine(stdout: string): [number, number][] {
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_LATENCIES "));
  const pairs = line?.slice("BENCH_LATENCIES ".length).trim();
  return pairs
    ? pairs.split(",").map((pair) => {
        const [us, count] = pair.split(":");
        return [Number(us) / 1000, Number(count)];
      })
    : [];
}

/**
 * Write a benchmark's report to bench/results/<name>.json, or to <name>-2.json, <name>-3.json … when a run of the
 * same day already wrote that file: a later run never replaces an earlier one, whose figures the docs may quote.
 * The file is formatted by the repository's formatter (biome), so that the lint's format check passes on it as
 * written. Returns the path written, relative to the repository's root.
 */
export async function writeResults(name: string, report: unknown): Promise<string> {
  const dir = path.join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  let file = path.join(dir, `${name}.json`);
  for (let n = 2; existsSync(file); n++) file = path.join(dir, `${name}-${n}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  await promisify(execFile)(path.join(root, "node_modules", ".bin", "biome"), ["format", "--write", file], { cwd: root });
  return path.relative(root, file);
}
