import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;

/**
 * The least-privilege role the app's pools act as (docs/operations.md, "Database roles"): migration 0014
 * creates it and grants it SELECT/INSERT/UPDATE/DELETE on the app's tables, only SELECT/INSERT on the
 * ledger's, and nothing it could change the schema or its triggers with. Only migrations run as the owner.
 */
export const APP_ROLE = "crowdfund_app";

export interface OpenDbOptions {
  /**
   * Act as this role once logged in: sent as the `role` startup parameter, which PostgreSQL applies as
   * `SET ROLE` before the first query. The login must be a member of it (a superuser always is).
   */
  role?: string;
  /** Seconds a new connection may take to open before its queries fail (default 10). */
  connectTimeoutSeconds?: number;
}

/**
 * Seconds before a pool's connection tries again after `retries` failed connections in a row: the driver's own
 * curve (3^retries / 100, with jitter) capped at 2 s instead of its 20 s. During a database outage every query
 * waits for its connection's next try before failing (503 DATABASE_UNAVAILABLE): uncapped, requests would hang
 * for up to 20 s and the pool would notice the database back that late. A pool of 10 then tries at most a few
 * connections a second.
 */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 2);
}

/**
 * Open a pool of at most `max` connections + its drizzle handle on a connection string. Callers own
 * `sql.end()`. The web role's pool is built once by the composition root (lib/app, `db()`), on the app's
 * connection (lib/app#appDatabase), not the owner's; the read replicas' pools too (db/replicas.ts, `readDb()`).
 */
export function openDb(url: string, max: number, opts: OpenDbOptions = {}) {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: opts.connectTimeoutSeconds ?? 10,
    backoff: reconnectDelaySeconds,
    // JIT off: this is an OLTP workload, and PostgreSQL's JIT compiles any statement whose estimated cost passes
    // jit_above_cost. A batch statement over `jsonb_to_recordset` (estimated at 100 rows, with subqueries per
    // row) passes it every time: the payout run's transfer guard spent 19 ms of its 28 ms per batch compiling
    // (auto_explain during bench:payouts, PostgreSQL 15 with LLVM). The embedded server has no JIT anyway.
    connection: { jit: "off", ...(opts.role ? { role: opts.role } : {}) },
  });
  preparing(sql);
  return { sql, db: drizzle(sql, { schema }) };
}

/** How many distinct statements one pool prepares at most (per connection, on the server and in the driver). */
export const MAX_PREPARED_STATEMENTS = 200;
/**
 * Statements with more parameters than this are not prepared: their texts vary with the data (a batch's `IN` list
 * or VALUES rows, one text per length), and each one kept costs the server up to a megabyte of plan per connection
 * (a reviewer measured 200 MB for 250 batch texts of up to 2,000 parameters on one connection).
 */
export const MAX_PREPARED_PARAMETERS = 64;

type Unsafe = Sql["unsafe"];
/** The driver's begin and savepoint, loosely: (options?, callback) → promise. */
type Scoping = (...args: unknown[]) => Promise<unknown>;
type Scope = { unsafe: Unsafe; savepoint?: Scoping };
type Body = (tx: Scope) => unknown;
/** The driver's `onexecute` answer that keeps the pool from sending more on this connection until it answers. */
const connectionFull = () => false;

/**
 * Make `sql` prepare the parameterised statements drizzle sends (in transactions and savepoints too), each once
 * per connection, up to MAX_PREPARED_STATEMENTS distinct texts per pool; the rest go as before.
 *
 * Why by hand: drizzle runs every statement through the driver's `unsafe`, which does not prepare. For a
 * statement with parameters postgres.js then asks the server for the parameter types first (Parse, Describe,
 * Flush, wait; then Bind, Execute): two round trips and a parse and plan on the server each time. Prepared
 * and cached, it is one round trip and no parse (`npx tsx`-measured on loopback: 192 → 65 µs a statement,
 * Node.js CPU 92 → 49 µs). Neither library has a switch for it (drizzle prepares only named `.prepare()`
 * queries, which must be built outside the transaction that runs them).
 *
 * The bounds keep memory flat whatever texts callers build: at most MAX_PREPARED_STATEMENTS texts of at most
 * MAX_PREPARED_PARAMETERS parameters, the first ones seen (the hot path's statements come first and stay).
 * A prepared statement still tells the pool that its connection is full until it answers, as the describe-first
 * path did (the driver's `onexecute` answering false): otherwise the pool pipelines further queries behind it on
 * the same connection, where they wait for a slow statement or lock, and die with it when its backend does.
 * `?prepare=false` on the connection URL turns all preparing off (the driver's own option wins over this), as a
 * pooler in transaction mode without prepared-statement support needs (docs/operations.md).
 *
 * One difference to know: a prepared statement whose result columns change under it (a migration altering a
 * column's type, or `select *` after a column is added) fails once per connection with "cached plan must not
 * change result type" (0A000) inside a transaction, where the driver cannot retry it as it does outside one.
 * docs/operations.md says what that means for a migration run beside serving instances.
 */
function preparing(sql: Sql): void {
  const seen = new Set<string>(); // the texts this pool prepares
  const wrapUnsafe = (unsafe: Unsafe): Unsafe =>
    ((...a: Parameters<Unsafe>) => {
      const [query, args, options] = a;
      if (Array.isArray(args) && args.length > 0 && args.length <= MAX_PREPARED_PARAMETERS && options?.prepare !== true) {
        if (seen.has(query) || (seen.size < MAX_PREPARED_STATEMENTS && seen.add(query))) {
          return unsafe(query, args, { onexecute: connectionFull, ...options, prepare: true } as typeof options);
        }
      }
      return unsafe(...a); // as called: the driver reads (query, options) from the number of arguments
    }) as Unsafe;
  // The same callback, given a scope whose unsafe (and nested savepoints) prepare too. The tagged form
  // (tx.savepoint`…`) is a query, passed through as called.
  const within = (fn: unknown) => (tx: Scope) => (fn as Body)(scoped(tx));
  const wrapScoping =
    (scoping: Scoping): Scoping =>
    (...a) =>
      typeof a[0] === "function"
        ? scoping(within(a[0]))
        : typeof a[1] === "function"
          ? scoping(a[0], within(a[1]))
          : scoping(...a);
  const scoped = (tx: Scope): Scope => {
    tx.unsafe = wrapUnsafe(tx.unsafe);
    if (tx.savepoint) tx.savepoint = wrapScoping(tx.savepoint);
    return tx;
  };
  sql.unsafe = wrapUnsafe(sql.unsafe);
  sql.begin = wrapScoping(sql.begin as unknown as Scoping) as unknown as Sql["begin"];
}

/**
 * The driver's pool under a drizzle handle, for what drizzle does not offer (a reserved connection, a statement
 * prepared once per connection). Throws when `db` is a transaction's handle, which has none: `who` names the
 * caller in the message.
 */
export function poolOf(db: Db, who: string): Sql {
  const client = (db as Db & { $client?: Sql }).$client;
  if (!client) throw new Error(`${who} needs a database handle, not a transaction`);
  return client;
}
