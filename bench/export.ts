/**
 * `npm run bench:export`: memory of the app while it streams a campaign's contributions as CSV
 * (GET /api/campaigns/{id}/contributions/export), for a small and a large campaign in the same run, so the
 * figures compare: rows, bytes, seconds, and the app process's resident memory (VmRSS from /proc, sampled every
 * 100 ms) before and at its peak during each download. Flat memory means the peak does not grow with the rows.
 * Seeds a fresh database with SQL (generate_series: donors, then the contributions of each campaign), starts the
 * built app (`npm start`, SERVICES=web so nothing else runs in it) and downloads as the campaigns' creator.
 *
 * The app runs with its V8 heap capped (`--heap-mib`, 384 by default; 0 = no cap). Uncapped on a 24 GiB machine,
 * V8 lets garbage pile up to a heap of several GiB before it collects hard, so resident memory grew by ~500 MiB
 * over a 1 M-row download although nothing was kept: that measured the collector's laziness, not the export.
 * Under a cap a retained row would end in "heap out of memory"; a flat peak means the export holds one batch.
 *
 *   npm run bench:export -- [--small 100000] [--large 1000000] [--heap-mib 384]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { v7 as uuidv7 } from "uuid";
import { openDb } from "@/db/client";
import { users } from "@/db/schema";
import { createApiToken } from "@/lib/auth/tokens";
import { createCampaign } from "@/lib/campaigns";
import { createCampaignSchema } from "@/lib/campaigns/schemas";
import { startApp } from "@/tests/support/env";
import { buildIfStale } from "../scripts/build-if-stale";
import { benchDatabase, machine, say } from "./support";

const { values } = parseArgs({
  options: {
    small: { type: "string", default: "100000" },
    large: { type: "string", default: "1000000" },
    "heap-mib": { type: "string", default: "384" },
  },
});
const SMALL = Number(values.small);
const LARGE = Number(values.large);
const HEAP_MIB = Number(values["heap-mib"]);
if (![SMALL, LARGE].every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(HEAP_MIB) || HEAP_MIB < 0) {
  console.error("usage: npm run bench:export -- [--small N] [--large N] [--heap-mib MiB, 0 = no cap]");
  process.exit(2);
}

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};
const int = (n: number) => Math.round(n).toLocaleString("en-US");

async function main() {
  say(`machine: ${machine()}`);
  buildIfStale(say);
  const db = await benchDatabase("export");
  const { sql, db: orm } = openDb(db.url, 2);
  try {
    const [creator] = await orm
      .insert(users)
      .values({ id: uuidv7(), email: "creator@bench.example.com", name: "Bench Creator" })
      .returning({ id: users.id, name: users.name, email: users.email, role: users.role });
    if (!creator) throw new Error("no creator");
    say("seeding 1,000 donors…");
    await sql`insert into users (id, email, name)
              select gen_random_uuid(), 'donor' || i || '@bench.example.com', 'Donor ' || i from generate_series(1, 1000) i`;
    const campaigns: { id: string; rows: number }[] = [];
    for (const rows of [SMALL, LARGE]) {
      const c = await createCampaign(
        orm,
        creator,
        createCampaignSchema.parse({ title: `Export of ${rows}`, story: "A story.", goalAmount: 10_000_000, currency: "USD" }),
      );
      const started = Date.now();
      for (let done = 0; done < rows; done += 100_000) {
        const n = Math.min(100_000, rows - done);
        await sql`
          insert into contributions (id, campaign_id, contributor_id, amount, currency, status, message, anonymous,
                                     payment_method, provider)
          select gen_random_uuid(), ${c.id}, d.id, 100 + (i % 9900), 'USD', 'succeeded',
                 case when i % 3 = 0 then 'Good luck, "neighbour", from row ' || i end, i % 10 = 0, 'pm_card_visa', 'sandbox'
          from generate_series(1, ${n}) i
          join lateral (select id from users where email = 'donor' || (1 + i % 1000) || '@bench.example.com') d on true`;
        say(
          `  campaign of ${int(rows)}: ${int(done + n)} contributions seeded (${int(((done + n) / (Date.now() - started)) * 1000)}/s)`,
        );
      }
      campaigns.push({ id: c.id, rows });
    }
    const { token } = await createApiToken(orm, { userId: creator.id, name: "bench" });
    const heap: Record<string, string> = HEAP_MIB ? { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` } : {};
    const app = await startApp(db.url, { SERVICES: "web", RATE_LIMIT_MAX: "100000000", ...heap });
    const pid = app.process.pid as number;
    const results: { rows: number; bytes: number; seconds: number; before: number; peak: number }[] = [];
    try {
      for (const c of campaigns) {
        await new Promise((r) => setTimeout(r, 1000)); // let the last download's garbage settle
        const before = rssMiB(pid);
        let peak = before;
        const sampler = setInterval(() => {
          peak = Math.max(peak, rssMiB(pid));
        }, 100);
        const t0 = Date.now();
        const res = await fetch(`${app.baseUrl}/api/campaigns/${c.id}/contributions/export`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
        let bytes = 0;
        let lines = 0;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.length;
          for (const b of chunk) if (b === 10) lines++;
        }
        clearInterval(sampler);
        const seconds = (Date.now() - t0) / 1000;
        // Every row and the header; a message holds no line break, so lines count rows.
        if (lines !== c.rows + 1) throw new Error(`expected ${c.rows + 1} lines, got ${lines}`);
        results.push({ rows: c.rows, bytes, seconds, before, peak });
        say(
          `  ${int(c.rows)} rows: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(1)} s; app RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB`,
        );
      }
    } finally {
      await app.stop();
    }
    console.log(
      `\nnpm run bench:export — ${machine()}; app heap ${HEAP_MIB ? `capped at ${HEAP_MIB} MiB` : "not capped"}; command: npm run bench:export -- --small ${SMALL} --large ${LARGE} --heap-mib ${HEAP_MIB}`,
    );
    console.log("| rows | CSV MiB | seconds | rows/s | app RSS before MiB | app RSS peak MiB | peak − before MiB |");
    console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of results)
      console.log(
        `| ${int(r.rows)} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${r.seconds.toFixed(1)} | ${int(r.rows / r.seconds)} | ${r.before.toFixed(0)} | ${r.peak.toFixed(0)} | ${(r.peak - r.before).toFixed(0)} |`,
      );
  } finally {
    await sql.end();
    await db.drop();
  }
  process.exit(0);
}

await main();
