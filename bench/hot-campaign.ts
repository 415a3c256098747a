/**
 * Contributions recorded per second on ONE viral campaign:
 *   naive  — each contribution inserts its row and updates the campaign's total in the same transaction
 *            (every writer queues on that one row lock: about one durable commit per update);
 *   outbox — each contribution inserts its row and an outbox event; the event consumers (a separate
 *            `npm run worker` process) fold a batch of events into one UPDATE per campaign.
 * Both measured in the same run, same connections, same duration. For the outbox design it also reports
 * how long after its commit each contribution shows in the total (p50/p99), and how long after the last
 * write every total equals the sum of its contributions (single hot campaign, and 1,000 campaigns).
 *
 * It exits 1 when any total still differs from the sum of its contributions 30 s after the last write:
 * a table over wrong books is a failure, not a figure. `--runs N` repeats the whole measurement on a
 * fresh database each time and prints one summary line per run.
 *
 *   npm run bench:events -- [--seconds 10] [--connections 32] [--transport postgres|nats] [--runs 1]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { partitionOf } from "@/lib/events/partition";
import { benchDatabase, machine, percentile, root, say, totalsExactAfter } from "./support";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    transport: { type: "string", default: "postgres" },
    runs: { type: "string", default: "1" },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const TRANSPORT = values.transport === "nats" ? "nats" : "postgres";
const PARTITIONS = 16;
const USER = "01900000-0000-7000-8000-0000000000aa";

type Sql = postgres.Sql;

async function makeCampaigns(sql: Sql, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuidv7());
  await sql`insert into campaigns ${sql(ids.map((id) => ({ id, creator_id: USER, title: "bench", story: "bench", goal_amount: 1e9, currency: "USD", status: "active" })))}`;
  return ids;
}

/** Run `write` on CONNECTIONS concurrent connections for SECONDS; returns commit timestamps (ms). */
async function load(sql: Sql, write: (tx: postgres.TransactionSql, i: number) => Promise<unknown>): Promise<number[]> {
  const commits: number[] = [];
  const until = Date.now() + SECONDS * 1000;
  let i = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const n = i++;
        await sql.begin((tx) => write(tx, n));
        commits.push(Date.now());
      }
    }),
  );
  return commits;
}

function insertContribution(tx: postgres.TransactionSql, campaignId: string, amount: number, id: string) {
  return tx`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method, provider, settled_at)
            values (${id}, ${campaignId}, ${USER}, ${amount}, 'USD', 'succeeded', 'pm_card_visa', 'bench', now())`;
}

function startWorker(url: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      EVENT_PARTITIONS: String(PARTITIONS),
      EVENT_TRANSPORT: TRANSPORT,
      NATS_URL: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
      LOG_LEVEL: "warn",
    },
    stdio: "inherit",
  });
}

/** Sample the applied count every 20 ms from before the load starts (call `done(total)` when writes end). */
function sampler(sql: Sql, ids: string[]) {
  const samples: { t: number; applied: number }[] = [];
  let target = Number.POSITIVE_INFINITY;
  const running = (async () => {
    const deadline = () => Date.now() > writesEndAt + 120_000;
    let writesEndAt = Number.POSITIVE_INFINITY;
    for (;;) {
      const [r] = await sql`select coalesce(sum(contribution_count), 0)::int as n from campaigns where id = any(${ids}::uuid[])`;
      samples.push({ t: Date.now(), applied: r?.n as number });
      if ((r?.n as number) >= target || deadline()) return;
      if (target !== Number.POSITIVE_INFINITY && writesEndAt === Number.POSITIVE_INFINITY) writesEndAt = Date.now();
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return {
    samples,
    async done(total: number) {
      target = total;
      await running;
      await sql.end();
    },
  };
}

/** Per-event visibility latency (commit → first sample whose applied count covers it) and convergence time. */
async function watch(sm: ReturnType<typeof sampler>, commits: number[], writesEnd: number) {
  const total = commits.length;
  await sm.done(total);
  const samples = sm.samples;
  const sorted = [...commits].sort((a, b) => a - b);
  const lat: number[] = [];
  let s = 0;
  for (let k = 0; k < sorted.length; k++) {
    while (s < samples.length && (samples[s] as { applied: number }).applied < k + 1) s++;
    const seen = samples[Math.min(s, samples.length - 1)] as { t: number };
    lat.push(Math.max(0, seen.t - (sorted[k] as number)));
  }
  lat.sort((a, b) => a - b);
  const last = samples.at(-1) as { t: number; applied: number };
  return {
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    convergedMs: Math.max(0, last.t - writesEnd),
    applied: last.applied,
    total,
  };
}

interface RunResult {
  hotRate: number;
  hotExact: number;
  manyExact: number;
  /** Campaigns whose total or count differs from their succeeded contributions after convergence. */
  bad: number;
}

async function runOnce(): Promise<RunResult> {
  const db = await benchDatabase("events");
  const sql = postgres(db.url, { max: CONNECTIONS + 2, onnotice: () => {} });
  let worker: ChildProcess | undefined;
  try {
    await sql`insert into users (id, email, name) values (${USER}, 'bench@example.com', 'Bench')`;

    say(`naive: ${CONNECTIONS} connections for ${SECONDS} s on one campaign (insert + update the total)…`);
    const [naiveId] = (await makeCampaigns(sql, 1)) as [string];
    const naive = await load(sql, async (tx, i) => {
      await insertContribution(tx, naiveId, 100 + (i % 50), uuidv7());
      await tx`update campaigns set collected_amount = collected_amount + ${100 + (i % 50)}, contribution_count = contribution_count + 1 where id = ${naiveId}`;
    });
    const naiveRate = naive.length / SECONDS;
    say(`naive: ${naive.length} contributions, ${naiveRate.toFixed(0)}/s`);

    say(`outbox: starting a consumer worker (${TRANSPORT})…`);
    worker = startWorker(db.url);
    await new Promise((r) => setTimeout(r, 3000));
    const [hotId] = (await makeCampaigns(sql, 1)) as [string];
    const hotPartition = partitionOf(hotId, PARTITIONS);
    const hotSampler = sampler(postgres(db.url, { max: 1, onnotice: () => {} }), [hotId]);
    say(`outbox: ${CONNECTIONS} connections for ${SECONDS} s on one campaign (insert + outbox event)…`);
    const hot = await load(sql, async (tx, i) => {
      const id = uuidv7();
      const amount = 100 + (i % 50);
      await insertContribution(tx, hotId, amount, id);
      await tx`insert into outbox_events (id, type, partition_key, partition, payload) values (${uuidv7()}, 'contribution.succeeded', ${hotId}, ${hotPartition},
               ${sql.json({ contributionId: id, campaignId: hotId, creatorId: USER, amount, currency: "USD" })})`;
    });
    const hotEnd = Date.now();
    const hotRate = hot.length / SECONDS;
    say(`outbox: ${hot.length} contributions, ${hotRate.toFixed(0)}/s; waiting for the total to converge…`);
    const hotWatch = await watch(hotSampler, hot, hotEnd);
    const hotExact = await totalsExactAfter(sql, [hotId], hotEnd);

    say(`outbox: ${CONNECTIONS} connections for ${SECONDS} s over 1,000 campaigns…`);
    const many = await makeCampaigns(sql, 1000);
    const manySampler = sampler(postgres(db.url, { max: 1, onnotice: () => {} }), many);
    const manyCommits = await load(sql, async (tx, i) => {
      const campaignId = many[i % many.length] as string;
      const id = uuidv7();
      await insertContribution(tx, campaignId, 100, id);
      await tx`insert into outbox_events (id, type, partition_key, partition, payload) values (${uuidv7()}, 'contribution.succeeded', ${campaignId}, ${partitionOf(campaignId, PARTITIONS)},
               ${sql.json({ contributionId: id, campaignId, creatorId: USER, amount: 100, currency: "USD" })})`;
    });
    const manyEnd = Date.now();
    const manyWatch = await watch(manySampler, manyCommits, manyEnd);
    const manyExact = await totalsExactAfter(sql, many, manyEnd);

    const mismatches = await sql`
      select c.id, c.collected_amount, c.contribution_count,
             (select coalesce(sum(amount), 0) from contributions where campaign_id = c.id and status = 'succeeded') as expected,
             (select count(*) from contributions where campaign_id = c.id and status = 'succeeded') as n
      from campaigns c
      where c.collected_amount <> coalesce((select sum(amount) from contributions where campaign_id = c.id and status = 'succeeded'), 0)
         or c.contribution_count <> (select count(*) from contributions where campaign_id = c.id and status = 'succeeded')`;
    for (const m of mismatches.slice(0, 3)) say(`mismatch: ${JSON.stringify(m)}`);
    if (mismatches.length > 0) {
      // Diagnose: what the consumers have not applied, and whether a transaction holds the xmin horizon back.
      const lag = await sql`
        select k."group", k.partition, k.last_xid::text, k.last_seq,
               (select count(*) from outbox_events o where o.partition = k.partition and (o.xid, o.seq) > (k.last_xid, k.last_seq))::int as behind
        from consumer_cursors k order by 1, 2`;
      for (const l of lag.filter((x) => (x.behind as number) > 0)) say(`behind: ${JSON.stringify(l)}`);
      const [h] =
        await sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin, (select count(*) from parked_events)::int as parked`;
      say(`horizon: ${JSON.stringify(h)}`);
      const old =
        await sql`select pid, state, backend_xid::text, backend_xmin::text, now() - xact_start as age, left(query, 80) as q
                            from pg_stat_activity where xact_start is not null order by xact_start limit 5`;
      for (const o of old) say(`activity: ${JSON.stringify(o)}`);
      const leases = await sql`select "group", partition, owner, expires_at > now() as live from consumer_leases order by 1, 2`;
      say(`leases live: ${leases.filter((l) => l.live).length}/${leases.length}`);
    }
    const check = { bad: mismatches.length };

    console.log("");
    console.log(`Hot-campaign write path — ${machine()}, transport ${TRANSPORT}, ${CONNECTIONS} connections, ${SECONDS} s each`);
    console.log("| design | campaigns | contributions/s | total visible p50 | p99 | all totals exact after last write |");
    console.log("|---|---|---|---|---|---|");
    console.log(`| naive: insert + update total | 1 | ${naiveRate.toFixed(0)} | immediate | immediate | — |`);
    console.log(
      `| outbox + folding consumer | 1 | ${hotRate.toFixed(0)} | ${hotWatch.p50} ms | ${hotWatch.p99} ms | ${hotExact} ms |`,
    );
    console.log(
      `| outbox + folding consumer | 1,000 | ${(manyCommits.length / SECONDS).toFixed(0)} | ${manyWatch.p50} ms | ${manyWatch.p99} ms | ${manyExact} ms |`,
    );
    console.log(`ratio outbox/naive on one campaign: ${(hotRate / naiveRate).toFixed(2)}×`);
    console.log(`campaigns whose total differs from the sum of their contributions: ${check?.bad}`);
    return { hotRate, hotExact, manyExact, bad: check.bad };
  } finally {
    worker?.kill("SIGTERM");
    await sql.end();
    if (process.env.BENCH_KEEP_DB) say(`kept database ${db.url}`);
    else await db.drop();
  }
}

async function main() {
  say(`machine: ${machine()}`);
  say(
    `command: npm run bench:events -- --seconds ${SECONDS} --connections ${CONNECTIONS} --transport ${TRANSPORT} --runs ${RUNS}`,
  );
  const results: RunResult[] = [];
  for (let run = 1; run <= RUNS; run++) {
    if (RUNS > 1) say(`run ${run} of ${RUNS}`);
    results.push(await runOnce());
  }
  const failed = results.filter((r) => r.bad > 0 || Number.isNaN(r.hotExact) || Number.isNaN(r.manyExact));
  if (RUNS > 1) {
    console.log("");
    console.log(`${RUNS} runs, transport ${TRANSPORT} — ${machine()}`);
    console.log(
      "| run | hot contributions/s | hot total exact after last write | 1,000 campaigns exact after | campaigns differing |",
    );
    console.log("|---|---|---|---|---|");
    for (const [i, r] of results.entries()) {
      console.log(`| ${i + 1} | ${r.hotRate.toFixed(0)} | ${r.hotExact} ms | ${r.manyExact} ms | ${r.bad} |`);
    }
    const worst = Math.max(...results.map((r) => Math.max(r.hotExact, r.manyExact)));
    console.log(`worst time to exact totals: ${worst} ms; runs with a differing total: ${failed.length}`);
  }
  if (failed.length > 0) {
    console.error(`FAILED: ${failed.length} of ${RUNS} runs ended with a total that differs from its contributions`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
