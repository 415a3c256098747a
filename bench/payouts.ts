/**
 * `npm run bench:payouts [-- --campaigns 1000000]`: the daily flush over many campaigns.
 * Seeds N campaigns with a settled contribution each (bulk SQL, straight into the
 * ledger as the webhook path would have posted it) spread over 10,000 creators with
 * simulated payout accounts, then runs three days' payouts in this process through
 * the sandbox provider, sampling memory: day 1 pays every campaign (the headline: N
 * campaigns with money waiting), days 2 and 3 a tenth of them each, day 3 starting
 * from the balance checkpoints day 2 wrote (docs/payouts.md, "Checkpoints"). The
 * baseline, in the same run, is the same over N/10 campaigns in its own database:
 * peak memory must not grow with the number of campaigns (one batch in memory,
 * keyset pagination).
 */
import { parseArgs } from "node:util";
import { type Db, openDb } from "@/db/client";
import { parseConfig } from "@/lib/config";
import { createPayoutSettings } from "@/lib/payouts";
import { type PayoutSettings, type RunSummary, runPayouts } from "@/lib/payouts/run";
import { benchDatabase, machine, say } from "./support";

const { values } = parseArgs({
  options: { campaigns: { type: "string", default: "1000000" }, creators: { type: "string", default: "10000" } },
});
const N = Number(values.campaigns);
const CREATORS = Number(values.creators);
const CHUNK = 100_000;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

interface DayResult {
  day: number;
  /** Campaigns with money waiting that day. */
  due: number;
  seconds: number;
  makeSeconds: number;
  peakRss: number;
  peakHeap: number;
  checkpoint: string;
}

/** Run day `d` (today + d − 1) in this process, sampling memory; every campaign with money must be paid. */
async function flushDay(db: Db, settings: PayoutSettings, d: number, due: number): Promise<DayResult> {
  let peakRss = process.memoryUsage().rss;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 200);
  const start = Date.now();
  let lastPrint = 0;
  const phases: Record<string, number> = {};
  const summary: RunSummary = await runPayouts(db, settings, {
    date: new Date(Date.now() + (d - 1) * 86_400_000).toISOString().slice(0, 10),
    allowFutureCutoff: d > 1,
    onProgress: ({ phase, summary: s }) => {
      phases[phase] ??= Date.now();
      if (Date.now() - lastPrint < 5000) return;
      lastPrint = Date.now();
      const m = process.memoryUsage();
      say(
        `  day ${d} ${phase}: ${s.seen.toLocaleString()} seen, ${s.created.toLocaleString()} made, ${s.paid.toLocaleString()} paid · rss ${mb(m.rss)} heap ${mb(m.heapUsed)} · ${((Date.now() - start) / 1000).toFixed(0)} s`,
      );
    },
  });
  clearInterval(sampler);
  const seconds = (Date.now() - start) / 1000;
  if (summary.created !== due || summary.paid !== due)
    throw new Error(`day ${d}: expected ${due} payouts paid: ${JSON.stringify(summary)}`);
  const cp = summary.checkpoint;
  const checkpoint = `${cp?.base ? `from mark ${cp.base}` : "every line"}${cp?.target ? `, writes mark ${cp.target}` : ""}`;
  say(`  day ${d}: ${due.toLocaleString()} payouts in ${seconds.toFixed(0)} s (${checkpoint})`);
  return { day: d, due, seconds, makeSeconds: ((phases.submit ?? Date.now()) - start) / 1000, peakRss, peakHeap, checkpoint };
}

async function flush(n: number) {
  const tdb = await benchDatabase(`payouts_${n}`);
  const { sql, db } = openDb(tdb.url, 20);
  try {
    const [v] = await sql<{ v: string }[]>`show server_version`;
    server = `PostgreSQL ${v?.v.split(" ")[0]} (${process.env.DATABASE_URL ? "DATABASE_URL" : "embedded"})`;
    say(`${n.toLocaleString()} campaigns: seeding ${CREATORS.toLocaleString()} creators with payout accounts`);
    await sql`insert into users (id, email, name, role)
      select gen_random_uuid(), 'creator' || i || '@bench.test', 'Creator ' || i, 'user' from generate_series(1, ${CREATORS}) i`;
    await sql`insert into sandbox_accounts (id) select 'acct_bench_' || i from generate_series(1, ${CREATORS}) i`;
    await sql`insert into payout_accounts (user_id, provider, account_id, payouts_enabled, details_submitted)
      select id, 'sandbox', 'acct_bench_' || row_number() over (order by email), true, true from users`;
    await sql`create table bench_creators as select row_number() over (order by id) as n, id from users`;
    // Entry IDs are UUIDv7 as the app makes them (lib/ledger), so lines land in their month's partition
    // (docs/partitioning.md), not in DEFAULT: a v4 UUID with the first 48 bits set to the time in ms and the
    // version nibble made 7 (bits 52 and 53 set on top of v4's 0100).
    await sql`create function bench_uuid_v7(ts timestamptz) returns uuid language sql volatile as $$
      select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch from ts) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
    $$`;
    await sql`create unique index on bench_creators (n)`;
    const t0 = Date.now();
    for (let from = 1; from <= n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK - 1);
      // One campaign, one ledger account and one contribution entry (2 lines) per i, settled yesterday.
      await sql.begin(async (tx) => {
        await tx`create temp table seed on commit drop as
          select i, gen_random_uuid() as campaign, gen_random_uuid() as account, bench_uuid_v7(now() - interval '1 day') as entry,
                 1000 + (i % 50) * 100 as amount, c.id as creator
          from generate_series(${from}::int, ${to}::int) i join bench_creators c on c.n = 1 + i % ${CREATORS}`;
        await tx`insert into campaigns (id, creator_id, title, story, goal_amount, currency, collected_amount, contribution_count, status)
          select campaign, creator, 'Bench ' || i, 'A campaign of the payout benchmark.', 100000, 'USD', amount, 1, 'active' from seed`;
        await tx`insert into ledger_accounts (id, kind, owner, currency) select account, 'campaign_collected', campaign::text, 'USD' from seed`;
        await tx`insert into ledger_accounts (id, kind, owner, currency) values (gen_random_uuid(), 'provider_clearing', 'sandbox', 'USD')
          on conflict do nothing`;
        await tx`insert into ledger_entries (id, kind, reference, description, provider, created_at)
          select entry, 'contribution', 'bench-' || i, 'bench contribution', 'sandbox', now() - interval '1 day' from seed`;
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
          select entry, account, -amount, 'USD' from seed
          union all
          select entry, (select id from ledger_accounts where kind = 'provider_clearing' and owner = 'sandbox'), amount, 'USD' from seed`;
      });
      say(`  seeded ${to.toLocaleString()} / ${n.toLocaleString()} campaigns (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    // Statistics for what was seeded only: `payouts` and `sandbox_transfers` stay never-analysed, as on a real
    // deployment's first big day (autovacuum does not analyse an empty table). Analysed while empty, they would
    // tell the planner "0 rows" and the run's lookups by payout ID and idempotency key would scan them whole
    // (this bench's day 1 went from linear to quadratic that way).
    await sql`vacuum analyze users, campaigns, ledger_accounts, ledger_entries, ledger_lines, payout_accounts, sandbox_accounts`;

    const c = parseConfig({
      ...process.env,
      DATABASE_URL: tdb.url,
      NODE_ENV: "test",
      PAYOUT_CONCURRENCY: "16",
      PAYOUT_HOLD_HOURS: "0",
    });
    const settings = createPayoutSettings(db, c);
    const days: DayResult[] = [];
    // Day 1: every campaign has money waiting (the headline figure); it reads every line, as a deployment's
    // first run does. Days 2 and 3: a tenth of the campaigns got a new gift. Day 2 writes the first
    // checkpoints (at the mark day 1 took after its payouts); day 3 starts from them (docs/payouts.md).
    for (let d = 1; d <= 3; d++) {
      let due = n;
      if (d > 1) {
        due = await sql.begin(async (tx) => {
          await tx`create temp table gift on commit drop as
            select a.id as account, bench_uuid_v7(now()) as entry, 1000 + (n % 50) * 100 as amount, n
            from (select id, row_number() over (order by owner) as n from ledger_accounts where kind = 'campaign_collected') a
            where n % 10 = ${d}`;
          await tx`insert into ledger_entries (id, kind, reference, description, provider)
            select entry, 'contribution', 'bench-day' || ${d} || '-' || n, 'bench contribution', 'sandbox' from gift`;
          await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
            select entry, account, -amount, 'USD' from gift
            union all
            select entry, (select id from ledger_accounts where kind = 'provider_clearing' and owner = 'sandbox'), amount, 'USD' from gift`;
          const [g] = await tx`select count(*)::int as n from gift`;
          return g?.n as number;
        });
        await sql`analyze`;
      }
      days.push(await flushDay(db, settings, d, due));
    }
    const [unpaid] = await sql`select count(*)::int as n from ledger_accounts a where kind = 'campaign_collected'
      and (select coalesce(sum(amount), 0) from ledger_lines l where l.account_id = a.id) <> 0`;
    if (unpaid?.n !== 0) throw new Error(`${unpaid?.n} campaigns still have a balance after the flush`);
    const [checkpoints] = await sql`select count(*)::int as n from ledger_checkpoints`;
    return { n, days, checkpoints: checkpoints?.n as number };
  } finally {
    // Bounded: once, after a 33-minute 1M run, a plain end() never returned (the reserved
    // connection of the run lock sat idle); the figures were in, so close what is left.
    await sql.end({ timeout: 5 });
    await tdb.drop();
  }
}

/** The server the run measured: its version, and whether it is the embedded default or DATABASE_URL's. */
let server = "";

async function main() {
  say(`machine: ${machine()}; PostgreSQL from ${process.env.DATABASE_URL ? "DATABASE_URL" : "the embedded default"}`);
  const small = await flush(Math.max(1, Math.floor(N / 10)));
  const big = await flush(N);
  console.log(`\nDaily payout flush (npm run bench:payouts -- --campaigns ${N}), ${machine()}, ${server}`);
  console.log("| campaigns | day | with money | reads | total s | make s | submit s | payouts/s | peak RSS | peak heap |");
  console.log("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
  for (const r of [small, big]) {
    for (const d of r.days) {
      console.log(
        `| ${r.n.toLocaleString()} | ${d.day} | ${d.due.toLocaleString()} | ${d.checkpoint} | ${d.seconds.toFixed(0)} | ${d.makeSeconds.toFixed(0)} | ${(d.seconds - d.makeSeconds).toFixed(0)} | ${(d.due / d.seconds).toFixed(0)} | ${mb(d.peakRss)} | ${mb(d.peakHeap)} |`,
      );
    }
  }
  const first = (r: typeof big) => r.days[0] as DayResult;
  const third = (r: typeof big) => r.days[2] as DayResult;
  console.log(
    `\nDay 1, ${big.n / small.n}× the campaigns: ${(first(big).seconds / first(small).seconds).toFixed(1)}× the time, ${(first(big).peakRss / first(small).peakRss).toFixed(2)}× the peak RSS, ${(first(big).peakHeap / first(small).peakHeap).toFixed(2)}× the peak heap`,
  );
  console.log(
    `Day 3 (from a checkpoint, a tenth with money): ${(third(big).seconds / first(big).seconds).toFixed(2)}× day 1's time at ${big.n.toLocaleString()} campaigns; checkpoints stored: ${big.checkpoints.toLocaleString()}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
