/**
 * Database work per read of one campaign with a warm cache: the campaign page (/campaigns/{id}) signed out
 * and signed in (the header's user and the page's viewer: one users lookup between them, lib/auth/session
 * `sessionUser`), and the API (GET /api/campaigns/{id}). PostgreSQL counts it on a fresh
 * database: transactions (pg_stat_database; a statement outside a transaction is one) and
 * scans per table (pg_stat_user_tables), around N sequential requests; the transactions less those of
 * an idle window as long, just after. What else would poll the database is off (SERVICES=web: no event consumers,
 * payout scheduler or sandbox webhook dispatcher), and the in-process cache keeps entries for
 * the whole run, so what is left is the read path's own work.
 *
 *   npm run bench:page-queries -- [--views 50]
 */
import { parseArgs } from "node:util";
import bcrypt from "bcryptjs";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { startApp } from "@/tests/support/env";
import { signIn } from "@/tests/support/http";
import { sleep } from "@/tests/support/wait";
import { benchDatabase, machine, say } from "./support";

const { values } = parseArgs({ options: { views: { type: "string", default: "50" } } });
const VIEWS = Number(values.views);
/** PostgreSQL (15+) backends flush their statistics within 10 s of going idle. */
const STATS_FLUSH_MS = 11_000;

type Counts = { xacts: number; scans: Record<string, number> };

/** Transactions and per-table scans (sequential + index) so far; costs one transaction itself. */
async function counts(sql: postgres.Sql): Promise<Counts> {
  const [row] = await sql<{ xacts: string; scans: Record<string, string> | null }[]>`
    select (select xact_commit + xact_rollback from pg_stat_database where datname = current_database()) as xacts,
           (select json_object_agg(relname, seq_scan + coalesce(idx_scan, 0)) from pg_stat_user_tables) as scans`;
  if (!row) throw new Error("no statistics");
  return {
    xacts: Number(row.xacts),
    scans: Object.fromEntries(Object.entries(row.scans ?? {}).map(([t, n]) => [t, Number(n)])),
  };
}

function delta(a: Counts, b: Counts): Counts {
  const scans: Record<string, number> = {};
  for (const [t, n] of Object.entries(b.scans)) if (n !== (a.scans[t] ?? 0)) scans[t] = n - (a.scans[t] ?? 0);
  return { xacts: b.xacts - a.xacts, scans };
}

/** What the database counted while `work` ran and its statistics were flushed, and how long `work` took (ms). */
async function counted(sql: postgres.Sql, work: () => Promise<void>): Promise<{ d: Counts; ms: number }> {
  const before = await counts(sql);
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  await sleep(STATS_FLUSH_MS);
  return { d: delta(before, await counts(sql)), ms };
}

/**
 * What `requests` cost the database: their window's transactions less those of an idle window as long, taken just
 * after (so that what else runs in the process, at whatever moments, is counted in both; one idle window at the
 * start, taken once for every row, caught more than some rows' own and left them below zero). Scans are not
 * corrected: nothing idle scans the tables read.
 */
async function measure(sql: postgres.Sql, requests: () => Promise<void>): Promise<Counts & { idleXacts: number }> {
  const row = await counted(sql, requests);
  const idle = await counted(sql, () => sleep(row.ms));
  return { xacts: row.d.xacts - idle.d.xacts, scans: row.d.scans, idleXacts: idle.d.xacts };
}

async function main() {
  say(`machine: ${machine()}`);
  say(`command: npm run bench:page-queries -- --views ${VIEWS}`);
  const db = await benchDatabase("pagequeries");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const app = await startApp(db.url, {
    SERVICES: "web", // no background role polls the database while statements are counted
    RATE_LIMIT_MAX: "100000000",
    CACHE_L1_TTL_MS: "3600000",
  });
  try {
    const user = uuidv7();
    const id = uuidv7();
    const hash = bcrypt.hashSync("password", 10);
    await sql`insert into users (id, email, name, password_hash) values (${user}, 'reader@example.com', 'Page Reader', ${hash})`;
    await sql`insert into campaigns (id, creator_id, title, story, goal_amount, currency, status, collected_amount, contribution_count)
              values (${id}, ${user}, 'A campaign to read', 'A story.', 1000000, 'USD', 'active', 3000, 3)`;
    for (let i = 0; i < 3; i++) {
      await sql`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method, provider)
                values (${uuidv7()}, ${id}, ${user}, 1000, 'USD', 'succeeded', 'card_ok', 'sandbox')`;
    }
    const cookie = await signIn("reader@example.com", "password", app.baseUrl);
    const get = async (path: string, signedIn = false) => {
      const r = await fetch(`${app.baseUrl}${path}`, signedIn ? { headers: { cookie } } : {});
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    };
    const views = (path: string, signedIn: boolean) => async () => {
      for (let i = 0; i < VIEWS; i++) await get(path, signedIn);
    };
    // warm the caches
    for (const path of [`/campaigns/${id}`, `/api/campaigns/${id}`]) await get(path);
    await get(`/campaigns/${id}`, true);
    await sleep(STATS_FLUSH_MS);

    console.log("");
    console.log(`Database work per read, warm cache, ${VIEWS} sequential reads — ${machine()}`);
    console.log("| read | transactions per read | table scans per read | idle window's transactions (subtracted) |");
    console.log("|---|---|---|---|");
    for (const [name, path, signedIn] of [
      ["page /campaigns/{id}, signed out", `/campaigns/${id}`, false],
      ["page /campaigns/{id}, signed in", `/campaigns/${id}`, true],
      ["API GET /api/campaigns/{id}", `/api/campaigns/${id}`, false],
      ["API GET /api/campaigns/{id}/contributions", `/api/campaigns/${id}/contributions`, false],
    ] as const) {
      const d = await measure(sql, views(path, signedIn));
      const scans = Object.entries(d.scans)
        .sort()
        .map(([t, n]) => `${t} ${(n / VIEWS).toFixed(2)}`)
        .join(", ");
      console.log(`| ${name} | ${(d.xacts / VIEWS).toFixed(2)} | ${scans || "none"} | ${d.idleXacts} |`);
    }
  } finally {
    await sql.end();
    await app.stop();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
