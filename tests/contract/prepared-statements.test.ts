/**
 * The app's pools prepare the parameterised statements drizzle sends (db/client.ts, `preparing`): once per
 * connection, in transactions and savepoints too, at most MAX_PREPARED_STATEMENTS distinct texts per pool, and
 * none when the URL says `?prepare=false` (a pooler in transaction mode). Checked on the server itself:
 * `pg_prepared_statements` lists what the connection holds (a pool of one: every query on that connection).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_PREPARED_PARAMETERS, MAX_PREPARED_STATEMENTS, openDb } from "@/db/client";
import { testPostgresServer } from "../support/env";

describe("prepared statements on the app's pools", () => {
  let server: Awaited<ReturnType<typeof testPostgresServer>>;
  const pools: ReturnType<typeof openDb>[] = [];
  const open = (url: string) => {
    const pool = openDb(url, 1);
    pools.push(pool);
    return pool;
  };
  /** The texts the pool's one connection has prepared, containing `marker`. */
  const preparedOn = async (pool: ReturnType<typeof openDb>, marker: string) => {
    const rows = await pool.sql.unsafe<{ statement: string }[]>("select statement from pg_prepared_statements");
    return rows.map((r) => r.statement).filter((s) => s.includes(marker));
  };

  beforeAll(async () => {
    server = await testPostgresServer();
  });
  afterAll(async () => {
    for (const p of pools) await p.sql.end({ timeout: 1 });
    await server?.stop();
  });

  it("prepares a statement with parameters once, and answers it the same every time", async () => {
    const pool = open(server.url);
    const answers: unknown[] = [];
    for (const n of [1, 2, 3]) {
      const rows = await pool.db.execute<{ n: number; s: string }>(sql`select ${n}::int as n, ${`v${n}`}::text as s /* m1 */`);
      answers.push(rows[0]);
    }
    expect(answers).toEqual([
      { n: 1, s: "v1" },
      { n: 2, s: "v2" },
      { n: 3, s: "v3" },
    ]);
    expect(await preparedOn(pool, "/* m1 */")).toHaveLength(1);
    // Without parameters nothing needs preparing (the simple protocol, one round trip already).
    await pool.db.execute(sql`select 1 /* m2 */`);
    expect(await preparedOn(pool, "/* m2 */")).toHaveLength(0);
  });

  it("prepares in a transaction and in a savepoint, and their rollbacks still roll back", async () => {
    const pool = open(server.url);
    await pool.db.execute(sql`create table if not exists prepared_probe (n int)`);
    await pool.db.execute(sql`truncate prepared_probe`);
    await pool.db.transaction(async (tx) => {
      await tx.execute(sql`insert into prepared_probe values (${1}) /* m3 */`);
      await tx
        .transaction(async (sp) => {
          await sp.execute(sql`insert into prepared_probe values (${2}) /* m4 */`);
          throw new Error("roll the savepoint back");
        })
        .catch(() => {});
    });
    await pool.db
      .transaction(async (tx) => {
        await tx.execute(sql`insert into prepared_probe values (${3}) /* m3 */`);
        throw new Error("roll the transaction back");
      })
      .catch(() => {});
    const rows = await pool.db.execute<{ n: number }>(sql`select n from prepared_probe order by n`);
    expect(rows.map((r) => r.n)).toEqual([1]);
    expect(await preparedOn(pool, "/* m3 */")).toHaveLength(1);
    expect(await preparedOn(pool, "/* m4 */")).toHaveLength(1);
    await pool.db.execute(sql`drop table prepared_probe`);
  });

  it(`keeps at most ${MAX_PREPARED_STATEMENTS} distinct texts prepared; the rest still run`, async () => {
    const pool = open(server.url);
    const extra = 20;
    for (let i = 0; i < MAX_PREPARED_STATEMENTS + extra; i++) {
      const [row] = await pool.db.execute<{ n: number }>(sql`select ${i}::int as n /* m5 ${sql.raw(String(i))} */`);
      expect(row?.n).toBe(i);
    }
    expect(await preparedOn(pool, "/* m5 ")).toHaveLength(MAX_PREPARED_STATEMENTS);
  });

  it(`leaves statements of more than ${MAX_PREPARED_PARAMETERS} parameters unprepared (a batch's text varies with its size)`, async () => {
    const pool = open(server.url);
    const list = (n: number) =>
      sql.join(
        Array.from({ length: n }, (_, i) => sql`${i}::int`),
        sql`, `,
      );
    for (const n of [MAX_PREPARED_PARAMETERS, MAX_PREPARED_PARAMETERS + 1]) {
      const [row] = await pool.db.execute<{ n: number }>(
        sql`select cardinality(array[${list(n)}]) as n /* m7 ${sql.raw(String(n))} */`,
      );
      expect(row?.n).toBe(n);
    }
    expect(await preparedOn(pool, "/* m7 ")).toEqual([expect.stringContaining(`/* m7 ${MAX_PREPARED_PARAMETERS} */`)]);
  });

  it("keeps the savepoint's tagged form (a query) working", async () => {
    const pool = open(server.url);
    // The driver runs `tx.savepoint\`…\`` as a query in a savepoint; its typings know only the callback forms.
    type Tagged = (s: TemplateStringsArray, ...v: unknown[]) => Promise<Record<string, unknown>[]>;
    const rows = await pool.sql.begin((tx) => (tx.savepoint as unknown as Tagged)`select ${1}::int as one, ${2}::int as two`);
    expect([...rows]).toEqual([{ one: 1, two: 2 }]);
  });

  it("does not queue a query behind a slow prepared one on a busy connection: it waits for a free connection", async () => {
    const pool = openDb(server.url, 2);
    pools.push(pool);
    const order: string[] = [];
    const run = (name: string, seconds: number) =>
      pool.db.execute(sql`select pg_sleep(${seconds}), ${name}::text as name /* m8 */`).then(() => order.push(name));
    await run("warm", 0); // prepared on one connection
    const slow = run("slow", 1.5);
    const medium = run("medium", 0.2);
    await new Promise((r) => setTimeout(r, 50)); // both connections busy
    await Promise.all([slow, medium, run("quick", 0)]);
    // Pipelined behind whichever busy connection, "quick" could wait for "slow"; from the pool's queue it takes the
    // first connection to free up, after "medium".
    expect(order).toEqual(["warm", "medium", "quick", "slow"]);
  });

  it("prepares nothing when the URL says prepare=false", async () => {
    const url = new URL(server.url);
    url.searchParams.set("prepare", "false");
    const pool = open(url.toString());
    for (const n of [1, 2]) await pool.db.execute(sql`select ${n}::int as n /* m6 */`);
    await pool.db.transaction((tx) => tx.execute(sql`select ${3}::int as n /* m6 */`));
    expect(await preparedOn(pool, "/* m6 */")).toHaveLength(0);
  });
});
