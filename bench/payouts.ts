/**
 * `npm run bench:payouts [-- --campaigns 1000000]`: the daily flush over many campaigns.
 * Seeds N campaigns with a settled contribution each (bulk SQL, straight into the
 * ledger as the webhook path would have posted it) spread over 10,000 creators with
 * simulated payout accounts, then runs one day's payouts in this process through
 * the sandbox provider, sampling memory. The baseline, in the same run, is the
 * same flush over N/10 campaigns in its own database: peak memory must not grow
 * with the number of campaigns (one batch in memory, keyset pagination).
 */
import { parseArgs } from "node:util";
import { openDb } from "@/db/client";
import { parseConfig } from "@/lib/config";
import { createPayoutSettings } from "@/lib/payouts";
import { type RunSummary, runPayouts } from "@/lib/payouts/run";
import { benchDatabase, machine, say } from "./support";

const { values } = parseArgs({
  options: { campaigns: { type: "string", default: "1000000" }, creators: { type: "string", default: "10000" } },
});
const N = Number(values.campaigns);
const CREATORS = Number(values.creators);
const CHUNK = 100_000;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

async function flush(n: number) {
  const tdb = await benchDatabase(`payouts_${n}`);
  const { sql, db } = openDb(tdb.url, 20);
  try {
    say(`${n.toLocaleString()} campaigns: seeding ${CREATORS.toLocaleString()} creators with payout accounts`);
    await sql`insert into users (id, email, name, role)
      select gen_random_uuid(), 'creator' || i || '@bench.test', 'Creator ' || i, 'user' from generate_series(1, ${CREATORS}) i`;
    await sql`insert into sandbox_accounts (id) select 'acct_bench_' || i from generate_series(1, ${CREATORS}) i`;
    await sql`insert into payout_accounts (user_id, provider, account_id, payouts_enabled, details_submitted)
      select id, 'sandbox', 'acct_bench_' || row_number() over (order by email), true, true from users`;
    await sql`create table bench_creators as select row_number() over (order by id) as n, id from users`;
    await sql`create unique index on bench_creators (n)`;
    const t0 = Date.now();
    for (let from = 1; from <= n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK - 1);
      // One campaign, one ledger account and one contribution entry (2 lines) per i, settled yesterday.
      await sql.begin(async (tx) => {
        await tx`create temp table seed on commit drop as
          select i, gen_random_uuid() as campaign, gen_random_uuid() as account, gen_random_uuid() as entry,
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
    await sql`vacuum analyze`;

    const c = parseConfig({
      ...process.env,
      DATABASE_URL: tdb.url,
      NODE_ENV: "test",
      PAYOUT_CONCURRENCY: "16",
      PAYOUT_HOLD_HOURS: "0",
    });
    const settings = createPayoutSettings(db, c);
    const baseRss = process.memoryUsage().rss;
    let peakRss = baseRss;
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
      date: new Date().toISOString().slice(0, 10),
      onProgress: ({ phase, summary: s }) => {
        phases[phase] ??= Date.now();
        if (Date.now() - lastPrint < 5000) return;
        lastPrint = Date.now();
        const m = process.memoryUsage();
        say(
          `  ${phase}: ${s.seen.toLocaleString()} seen, ${s.created.toLocaleString()} made, ${s.paid.toLocaleString()} paid · rss ${mb(m.rss)} heap ${mb(m.heapUsed)} · ${((Date.now() - start) / 1000).toFixed(0)} s`,
        );
      },
    });
    clearInterval(sampler);
    const seconds = (Date.now() - start) / 1000;
    const makeSeconds = ((phases.submit ?? Date.now()) - start) / 1000;
    if (summary.created !== n || summary.paid !== n) throw new Error(`expected ${n} payouts paid: ${JSON.stringify(summary)}`);
    const [unpaid] = await sql`select count(*)::int as n from ledger_accounts a where kind = 'campaign_collected'
      and (select coalesce(sum(amount), 0) from ledger_lines l where l.account_id = a.id) <> 0`;
    if (unpaid?.n !== 0) throw new Error(`${unpaid?.n} campaigns still have a balance after the flush`);
    return { n, seconds, makeSeconds, peakRss, peakHeap, baseRss };
  } finally {
    // Bounded: once, after a 33-minute 1M run, a plain end() never returned (the reserved
    // connection of the run lock sat idle); the figures were in, so close what is left.
    await sql.end({ timeout: 5 });
    await tdb.drop();
  }
}

async function main() {
  say(`machine: ${machine()}; PostgreSQL from DATABASE_URL or embedded`);
  const small = await flush(Math.max(1, Math.floor(N / 10)));
  const big = await flush(N);
  console.log(`\nDaily payout flush (npm run bench:payouts -- --campaigns ${N}), ${machine()}`);
  console.log("| campaigns | total s | make phase s | submit phase s | payouts/s | peak RSS | peak heap |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of [small, big]) {
    console.log(
      `| ${r.n.toLocaleString()} | ${r.seconds.toFixed(0)} | ${r.makeSeconds.toFixed(0)} | ${(r.seconds - r.makeSeconds).toFixed(0)} | ${(r.n / r.seconds).toFixed(0)} | ${mb(r.peakRss)} | ${mb(r.peakHeap)} |`,
    );
  }
  console.log(
    `\n${big.n / small.n}× the campaigns: ${(big.seconds / small.seconds).toFixed(1)}× the time, ${(big.peakRss / small.peakRss).toFixed(2)}× the peak RSS, ${(big.peakHeap / small.peakHeap).toFixed(2)}× the peak heap`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
