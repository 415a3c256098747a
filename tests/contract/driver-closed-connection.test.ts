/**
 * The `postgres` driver when a connection's backend dies under it (patches/postgres+3.4.9.patch, applied by
 * `npm install`'s postinstall; upstream porsager/postgres#1154, #1066, #1208, unfixed in 3.4.9). Unpatched, a
 * write queued on a connection whose socket closed runs `socket.write` on null from a `setImmediate`: an
 * uncaughtException no caller can catch, which takes a process down. Both ways the app meets it are here:
 * a reserved connection (the payout run's advisory lock, lib/payouts/run.ts) and a transaction whose
 * backend dies mid-way (every db.transaction: the driver's own ROLLBACK is the fatal write). Each must
 * reject with CONNECTION_CLOSED, raise nothing uncaught, and leave the pool working.
 */
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testPostgresServer } from "../support/env";

describe("the postgres driver when a connection's backend is terminated", () => {
  let server: Awaited<ReturnType<typeof testPostgresServer>>;
  let killer: postgres.Sql;
  let sql: postgres.Sql;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    server = await testPostgresServer();
    killer = postgres(server.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await killer?.end();
    await server?.stop();
  });
  beforeEach(() => {
    uncaught.length = 0;
    // Listening replaces vitest's own failure on an uncaught error: the test asserts on the list instead.
    process.on("uncaughtException", onUncaught);
    sql = postgres(server.url, { max: 2, onnotice: () => {} });
  });
  afterEach(async () => {
    await sql.end({ timeout: 1 });
    process.off("uncaughtException", onUncaught);
  });

  const terminate = async (pid: number) => {
    await killer`select pg_terminate_backend(${pid})`;
    await new Promise((r) => setTimeout(r, 200)); // the close reaches the client
  };
  /** A query's outcome within `ms`: a hang is a failure too (the driver's write vanished). */
  const outcome = (q: Promise<unknown>, ms = 3000) =>
    Promise.race([
      q.then(
        () => "resolved",
        (e: { code?: string }) => e.code ?? String(e),
      ),
      new Promise((r) => setTimeout(() => r("hung"), ms)),
    ]);

  it("a reserved connection's next queries reject with CONNECTION_CLOSED, and the pool works after release", async () => {
    const reserved = await sql.reserve();
    const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await terminate(row?.pid as number);
    expect(await outcome(reserved`select 1`)).toBe("CONNECTION_CLOSED");
    expect(await outcome(reserved`select ${2}::int`)).toBe("CONNECTION_CLOSED");
    reserved.release();
    await new Promise((r) => setImmediate(r));
    // every connection of the pool answers (a dead one put back in `open` would fail or hang every other query)
    for (let i = 0; i < 4; i++) expect(await outcome(sql`select ${i}::int as x`)).toBe("resolved");
    expect(uncaught.map(String)).toEqual([]);
  });

  it("a transaction whose backend dies rejects with CONNECTION_CLOSED, without an uncaught error from the driver's ROLLBACK", async () => {
    let pid: number | undefined;
    const tx = sql.begin(async (t) => {
      pid = (await t<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]?.pid;
      await t`select pg_sleep(2)`;
    });
    const settled = outcome(tx, 5000); // handled from the start: the rejection comes while terminate() waits
    while (pid === undefined) await new Promise((r) => setTimeout(r, 20));
    await terminate(pid);
    expect(await settled).toBe("CONNECTION_CLOSED");
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 4; i++) expect(await outcome(sql`select ${i}::int as x`)).toBe("resolved");
    expect(uncaught.map(String)).toEqual([]);
  });
});
