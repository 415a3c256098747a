import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionDatabase, type TestDatabase } from "../support/env";

const root = path.resolve(import.meta.dirname, "../..");
const CAMPAIGNS = 40;
const EVENTS = 20_000;

let database: TestDatabase;
let sql: postgres.Sql;

function startWorker(id: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: database.url, EVENT_PARTITIONS: "16", WORKER_ID: id, LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
}

async function applied(): Promise<number> {
  const [r] = await sql`select coalesce(sum(contribution_count), 0)::int as n from campaigns`;
  return r?.n as number;
}

beforeAll(async () => {
  database = await provisionDatabase("crash");
  sql = postgres(database.url, { max: 2, onnotice: () => {} });
  await sql`insert into users (id, email, name) values ('01900000-0000-7000-8000-000000000001', 'c@example.com', 'C')`;
  await sql`
    insert into campaigns (id, creator_id, title, story, goal_amount, currency, status)
    select ('01900000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, '01900000-0000-7000-8000-000000000001',
           'c' || i, 's', 100000, 'USD', 'active'
    from generate_series(1, ${CAMPAIGNS}) i`;
  // 20,000 contribution.succeeded events, amounts 1..97, spread over the campaigns and 16 partitions
  await sql`
    insert into outbox_events (id, type, partition_key, partition, payload)
    select gen_random_uuid(), 'contribution.succeeded', c.id::text,
           -- the same partition as lib/events/partition.ts: first 4 bytes of md5(key) mod 16
           (('x' || substr(md5(c.id::text), 1, 8))::bit(32)::bigint % 16)::smallint,
           jsonb_build_object('contributionId', gen_random_uuid(), 'campaignId', c.id, 'amount', 1 + (i % 97), 'currency', 'USD')
    from generate_series(1, ${EVENTS}) i
    join lateral (select ('01900000-0000-7000-8000-' || lpad((1 + i % ${CAMPAIGNS})::text, 12, '0'))::uuid as id) c on true`;
}, 120_000);

afterAll(async () => {
  await sql.end();
  await database.drop();
});

describe("consumer worker crash safety", () => {
  it("kill -9 of workers mid-batch, three times, and a restart leave every total exact", async () => {
    const expected = await sql`
      select (payload->>'campaignId') as id, sum((payload->>'amount')::int)::int as total, count(*)::int as n
      from outbox_events group by 1`;
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const w = startWorker(`crash-${round}`);
      const before = await applied();
      // wait until this worker is visibly mid-stream, then kill it without warning
      const until = Date.now() + 60_000;
      while ((await applied()) === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      w.kill("SIGKILL");
      await new Promise((r) => w.once("exit", r));
      kills++;
      if ((await applied()) >= EVENTS) break;
    }
    expect(kills).toBeGreaterThan(0);
    const survivor = startWorker("survivor");
    const deadline = Date.now() + 90_000;
    while ((await applied()) < EVENTS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    survivor.kill("SIGTERM");
    await new Promise((r) => survivor.once("exit", r));

    const totals = await sql`select id::text, collected_amount::int as total, contribution_count as n from campaigns`;
    const byId = new Map(totals.map((t) => [t.id as string, t]));
    for (const e of expected) {
      expect(byId.get(e.id as string)).toMatchObject({ total: e.total, n: e.n });
    }
    const [sum] = await sql`select sum(collected_amount)::int as total, sum(contribution_count)::int as n from campaigns`;
    expect(sum).toEqual({ total: expected.reduce((s, e) => s + (e.total as number), 0), n: EVENTS });
  }, 180_000);
});
