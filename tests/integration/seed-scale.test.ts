/**
 * `npm run seed` (db/seed-scale.ts): a chunk that fails midway leaves nothing behind and the next run goes on
 * from it; a seed process killed midway is resumed by running it again; a finished seed does nothing; the data
 * does not depend on the chunk size nor on where the seed was interrupted; totals equal the sums of paid
 * contributions and the ledger audit passes, with the ledger's triggers on.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { seedAtScale } from "@/db/seed-scale";
import { auditLedger } from "@/lib/ledger/audit";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { waitFor } from "../support/wait";

const N = 2000;
const root = path.resolve(import.meta.dirname, "../..");
let a: TestDatabase;
let b: TestDatabase;

beforeAll(async () => {
  a = await provisionDatabase("seed_a");
  b = await provisionDatabase("seed_b");
});

afterAll(async () => {
  await a?.drop();
  await b?.drop();
});

/** What must be equal between two seeds of the same N and seed: every campaign's ID and totals, and sums. */
async function fingerprint(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`
      select (select md5(string_agg(id::text || ':' || collected_amount || ':' || contribution_count || ':' || creator_id, ',' order by id)) from campaigns) as campaigns,
             (select md5(string_agg(id::text || ':' || amount || ':' || status || ':' || contributor_id, ',' order by id)) from contributions) as contributions,
             (select count(*)::int from users) as users,
             (select count(*)::int from ledger_entries) as entries,
             (select count(*)::int from ledger_lines) as lines,
             (select sum(abs(amount))::text from ledger_lines) as moved`;
    return r;
  } finally {
    await sql.end();
  }
}

async function chunksDone(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select count(*)::int as n, coalesce(max(hi), 0)::int as hi from seed_chunks`;
    return r?.hi as number;
  } catch {
    return 0; // the table is made by the seed's first statements
  } finally {
    await sql.end();
  }
}

function seedProcess(url: string, chunk: number) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/seed.ts", "--campaigns", String(N), "--chunk", String(chunk), "--database", url],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe("seeding at scale", () => {
  it("rolls a failed chunk back whole and goes on from it", async () => {
    const crash = new Error("crash in the middle of a chunk");
    await expect(
      seedAtScale({
        url: a.url,
        campaigns: N,
        chunk: 500,
        onCopied: (c, table) => {
          if (c.lo === 1000 && table === "ledger_entries") throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const sql = postgres(a.url, { max: 1, onnotice: () => {} });
    try {
      const [r] =
        await sql`select (select count(*)::int from campaigns) as campaigns, (select count(*)::int from seed_chunks) as chunks,
                                   (select count(*)::int from users) as users`;
      expect(r).toEqual({ campaigns: 1000, chunks: 2, users: 200 });
    } finally {
      await sql.end();
    }
    const resumed = await seedAtScale({ url: a.url, campaigns: N, chunk: 500 });
    expect(resumed).toMatchObject({ before: 1000, chunks: 2 });
    const again = await seedAtScale({ url: a.url, campaigns: N, chunk: 500 });
    expect(again).toMatchObject({ before: N, chunks: 0, rows: 0 });
  });

  it("resumes a killed seed process, with the same data whatever the chunks", async () => {
    const first = seedProcess(b.url, 100);
    const partway = await waitFor(
      () => chunksDone(b.url),
      (hi) => hi >= 300,
      60_000,
      10,
    );
    first.child.kill("SIGKILL");
    await first.exited;
    const killedAt = await chunksDone(b.url);
    expect(partway).toBeGreaterThanOrEqual(300);
    expect(killedAt, first.output()).toBeLessThan(N);

    const second = seedProcess(b.url, 700);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain(`from ${killedAt.toLocaleString("en-US")} to ${N.toLocaleString("en-US")}`);
    const third = seedProcess(b.url, 700);
    expect(await third.exited, third.output()).toBe(0);
    expect(third.output()).toContain("nothing to do");

    const fa = await fingerprint(a.url);
    expect(await fingerprint(b.url)).toEqual(fa);
    expect(fa?.users).toBe(N / 5);
  });

  it("keeps totals equal to the contributions, the ledger balanced and the audit passing", async () => {
    const { sql, db } = openDb(b.url, 2);
    try {
      const [t] = await sql`
        select count(*) filter (where c.collected_amount <> coalesce(s.total, 0) or c.contribution_count <> coalesce(s.n, 0))::int as wrong,
               count(*) filter (where c.contribution_count <= 5)::int as small,
               max(c.contribution_count)::int as largest
        from campaigns c
        left join (select campaign_id, sum(amount) as total, count(*) as n from contributions
                   where status = 'succeeded' group by campaign_id) s on s.campaign_id = c.id`;
      expect(t?.wrong).toBe(0);
      // Skewed: most campaigns small (the geometric part alone puts 95 % at 5 or fewer).
      expect(t?.small).toBeGreaterThan(N * 0.85);
      expect(t?.largest).toBeGreaterThan(20);
      const [l] = await sql`
        select (select count(*)::int from ledger_entries) as entries,
               (select count(*)::int from contributions where status = 'succeeded') as paid,
               (select count(*)::int from (select entry_id from ledger_lines group by entry_id having sum(amount) <> 0) x) as unbalanced`;
      expect(l?.entries).toBe(l?.paid);
      expect(l?.unbalanced).toBe(0);
      const report = await auditLedger(db);
      expect(report.campaigns.filter((c) => !c.ok)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.campaigns.length).toBeGreaterThan(N / 2);
    } finally {
      await sql.end();
    }
  });
});
