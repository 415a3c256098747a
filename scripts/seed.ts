/**
 * `npm run seed -- --campaigns N [--database URL] [--seed S] [--chunk C] [--fee-bps B]`: seed a database at
 * scale (db/seed-scale.ts; docs/scaling.md, "Seeding at scale"): N campaigns, about N/5 users, their
 * contributions and ledger entries, by COPY, C campaigns (default 100,000) per transaction. Resumable: run it
 * again after a kill and it goes on from the last finished chunk; run it with the same N on a finished
 * database and it does nothing. A larger N adds campaigns to an earlier seed.
 *
 * The database: --database, else DATABASE_URL, else the embedded default (as `npm run cli`). It is migrated
 * first. Progress goes to stderr on one line redrawn with `\r` (a plain line every 10 s when stderr is not a
 * terminal): campaigns done, rows copied, rows/s and campaigns/s of this run, and the time left at that rate.
 * Exit 0 when done, 1 on an error (what was committed stays: run it again), 2 on bad flags.
 */
import { parseArgs } from "node:util";
import { configuredDatabase } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { DEFAULT_CHUNK, DEFAULT_FEE_BPS, type SeedProgress, seedAtScale } from "@/db/seed-scale";
import { config } from "@/lib/config";
import { wholeNumber } from "./args";

const USAGE = "usage: npm run seed -- --campaigns N [--database URL] [--seed S] [--chunk C] [--fee-bps B]";

function fail(msg: string): never {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

function whole(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  return wholeNumber(raw, min) ?? fail(`--${name} must be a whole number of at least ${min} (got "${raw}")`);
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** The progress line: a `\r`-redrawn line on a terminal, else a line every 10 s (and at each chunk's commit and end). */
function progressPrinter(): { update: (p: SeedProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let lastChunk = -1;
  let lastPhase = "";
  let drawn = false;
  return {
    update(p) {
      if (!p.chunk && p.campaignsDone >= p.campaignsWanted) return; // nothing to do: no bar
      const s = (Date.now() - p.startedMs) / 1000;
      const rate = s > 0 ? p.campaignsThisRun / s : 0;
      const left = p.campaignsWanted - p.campaignsDone;
      const pct = p.campaignsWanted > 0 ? (100 * p.campaignsDone) / p.campaignsWanted : 100;
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
      const chunk = p.chunk ? ` chunk ${int(p.chunk.lo)}–${int(p.chunk.hi)}${p.phase === "commit" ? " committing" : ""}` : "";
      const line = `${bar} ${pct.toFixed(1)}% ${int(p.campaignsDone)}/${int(p.campaignsWanted)} campaigns${chunk}, ${int(p.rows)} rows at ${int(s > 0 ? p.rows / s : 0)} rows/s, ${int(rate)} campaigns/s, ETA ${left === 0 ? "0s" : duration(rate > 0 ? left / rate : Number.NaN)}`;
      if (tty) {
        process.stderr.write(`\r${line}\u001b[K`);
        drawn = true;
      } else if (Date.now() - lastLine >= 10_000 || p.campaignsDone !== lastChunk || p.phase !== lastPhase) {
        process.stderr.write(`${line}\n`);
        lastLine = Date.now();
        lastChunk = p.campaignsDone;
        lastPhase = p.phase;
      }
    },
    end() {
      if (drawn) process.stderr.write("\n");
    },
  };
}

async function main() {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        campaigns: { type: "string" },
        database: { type: "string" },
        seed: { type: "string" },
        chunk: { type: "string" },
        "fee-bps": { type: "string" },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.campaigns === undefined) fail("--campaigns is required");
  const campaigns = whole("campaigns", values.campaigns, 0, 0);
  const seed = whole("seed", values.seed, 1, 0);
  const chunk = whole("chunk", values.chunk, DEFAULT_CHUNK, 1);
  const feeBps = whole("fee-bps", values["fee-bps"], DEFAULT_FEE_BPS, 0);
  if (seed >= 2 ** 31) fail("--seed must be below 2^31");
  if (feeBps > 5000) fail("--fee-bps must be at most 5000 (the app's own limit)");

  const { url, embedded } = values.database
    ? { url: values.database, embedded: undefined }
    : await configuredDatabase(config(), (m) => console.error(`[db] ${m}`));
  try {
    await migrateDatabase(url);
    const progress = progressPrinter();
    const s = await seedAtScale({ url, campaigns, seed, chunk, feeBps, onProgress: progress.update }).finally(progress.end);
    const secs = s.ms / 1000;
    if (s.chunks === 0) {
      console.log(`seed ${s.seed}: the database already holds ${int(s.campaigns)} seeded campaigns, nothing to do`);
    } else {
      console.log(
        `seed ${s.seed}: ${int(s.campaigns - s.before)} campaigns (from ${int(s.before)} to ${int(s.campaigns)}) in ${s.chunks} chunks, ${int(s.rows)} rows in ${secs.toFixed(1)} s (${int(s.rows / secs)} rows/s, ${int((s.campaigns - s.before) / secs)} campaigns/s, ANALYZE included)`,
      );
    }
  } finally {
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
