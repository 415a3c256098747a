import { withReplicas } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { unavailableCause } from "@/lib/errors/database";
import { APP_ROLE, type Db, openDb } from "./client";
import * as schema from "./schema";

/**
 * Read replicas (docs/scaling.md, "Read replicas"): a drizzle handle whose reads (`select`, `$count`, `with`,
 * relational `query`) go to one of the streaming replicas of DATABASE_REPLICA_URLS and whose writes, `execute`
 * and transactions go to the primary (drizzle's `withReplicas`). The composition root builds it once
 * (lib/app `readDb()`); only reads that tolerate a replica's lag may use it.
 *
 * Two guards keep a bad replica from failing or aging the reads:
 * - down: a replica that is down, restarting or cancels a read for a recovery conflict does not fail the read:
 *   the same statement runs again on the primary, and that replica is skipped for REPLICA_BREAK_MS, then tried
 *   again;
 * - behind: while reads come, each replica's lag is measured at most once per LAG_PROBE_MS (the primary's WAL
 *   position, then whether the replica has replayed past it: the lag is the age of the oldest position it has
 *   not), and a replica more than `maxLagMs` behind is skipped until it catches up.
 * A skipped replica's reads go to another usable replica, else to the primary.
 */

/** How long a replica is left alone after a connection error before a read tries it again (ms). */
export const REPLICA_BREAK_MS = 5000;

/** How often a replica's lag is measured, at most, while reads use it (ms). */
export const LAG_PROBE_MS = 1000;

/** How long opening a connection to a replica may take before the read goes to the primary instead (s). */
const REPLICA_CONNECT_TIMEOUT_S = 2;

/**
 * SQLSTATEs a replica answers that the primary would not: 40001 (serialization_failure: "canceling statement
 * due to conflict with recovery") and 40P01 (the deadlock flavour of that conflict). A plain read outside any
 * serializable transaction gets them only on a standby.
 */
const RECOVERY_CONFLICTS = new Set(["40001", "40P01"]);

/** The replica-side error in `err`'s chain that sends a read to the primary, or undefined (the error stands). */
export function replicaFailure(err: unknown): { code: string; message: string } | undefined {
  const outage = unavailableCause(err);
  if (outage) return outage;
  // The driver's own error (what the client below sees), or the cause of drizzle's DrizzleQueryError.
  for (const e of [err, (err as { cause?: unknown } | null)?.cause]) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === "string" && RECOVERY_CONFLICTS.has(code)) return { code, message: String((e as Error).message) };
  }
  return undefined;
}

/** One replica's pool and health. */
export interface Replica {
  /** host:port/database of its URL, for logs (no credentials). */
  readonly name: string;
  readonly sql: postgres.Sql;
  /** Reads skip it until this time (ms since the epoch) after a connection error. */
  downUntil: number;
  /** Its lag at the last probe (ms; an estimate, up to LAG_PROBE_MS late), and whether that exceeds the limit. */
  lagMs: number;
  behind: boolean;
  /** The primary's WAL positions (as numbers) the replica had not replayed at the last probe, oldest first. */
  unreplayed: { at: number; lsn: bigint }[];
  probedAt: number;
  probing: boolean;
}

/** An LSN as PostgreSQL prints it ("16/B374D848") → a number that orders like it. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * Measure `r`'s lag behind `primary` (see above) and set `lagMs` and `behind`. Never throws: when the primary
 * cannot answer, nothing is measured (its reads fail anyway); when the replica cannot, it starts its break
 * (`failed`), as a read would.
 */
async function probeLag(r: Replica, primary: postgres.Sql, maxLagMs: number, failed: (r: Replica, err: unknown) => void) {
  r.probing = true;
  r.probedAt = Date.now();
  try {
    const [p] = await primary`select pg_current_wal_lsn()::text as lsn`.catch(() => []);
    if (p?.lsn) r.unreplayed.push({ at: Date.now(), lsn: lsnValue(String(p.lsn)) });
    // Bounded while a replica stays behind: keep the oldest (it sets the lag) and the newest.
    if (r.unreplayed.length > 64) r.unreplayed.splice(1, 1);
    // NULL on a server that is not a standby: it replays nothing, so it counts as behind.
    const [q] = await r.sql`select pg_last_wal_replay_lsn()::text as lsn`;
    const replayed = q?.lsn ? lsnValue(String(q.lsn)) : -1n;
    r.unreplayed = r.unreplayed.filter((u) => u.lsn > replayed);
    r.lagMs = r.unreplayed.length > 0 ? Date.now() - (r.unreplayed[0]?.at ?? Date.now()) : 0;
    r.behind = r.lagMs > maxLagMs;
  } catch (err) {
    if (replicaFailure(err)) failed(r, err);
  } finally {
    r.probing = false;
  }
}

export interface ReadDb {
  /** Reads on the replicas, the rest on the primary; `db.$primary` is the primary's handle. */
  db: Db & { $primary: Db; $replicas: Db[] };
  replicas: Replica[];
  /** End the replicas' pools (the primary's belongs to its opener). */
  end(): Promise<void>;
}

/** "host:port/db" of a postgres URL, without its credentials. */
function describe(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}

/**
 * A `postgres` client on the replica's pool whose every statement that meets a replica failure (replicaFailure)
 * is run again, as is, on `primary`; while the replica is in its break or behind, statements go to `primary`.
 * Only `unsafe` is wrapped: it is the one call drizzle's postgres-js session makes for a statement outside a
 * transaction (`unsafe(text, params, { prepare })`, then `.values()` or not); `withReplicas` sends transactions
 * to the primary. Everything else (`options`, `end`, …) is the replica's own.
 */
function fallbackClient(replica: Replica, primary: postgres.Sql, failed: (r: Replica, err: unknown) => void): postgres.Sql {
  type Args = Parameters<postgres.Sql["unsafe"]>;
  const run = async (args: Args, values: boolean): Promise<unknown> => {
    const on = (c: postgres.Sql) => {
      const q = c.unsafe(...args);
      return values ? q.values() : q;
    };
    if (Date.now() < replica.downUntil || replica.behind) return on(primary);
    try {
      return await on(replica.sql);
    } catch (err) {
      if (!replicaFailure(err)) throw err;
      failed(replica, err);
      return on(primary);
    }
  };
  const unsafe = (...args: Args) => ({
    values: () => run(args, true),
    // biome-ignore lint/suspicious/noThenProperty: this stands for postgres.js's PendingQuery, itself a thenable
    then: (ok?: (v: unknown) => unknown, ko?: (e: unknown) => unknown) => run(args, false).then(ok, ko),
  });
  return new Proxy(replica.sql, {
    get: (target, prop, receiver) => (prop === "unsafe" ? unsafe : Reflect.get(target, prop, receiver)),
  });
}

/**
 * Build the read handle over `primary` (the app's pool: its `sql` for fallbacks and lag probes, its drizzle
 * handle for the writes) and one pool of at most `max` connections per URL of `urls`, each acting as
 * `crowdfund_app` like the primary's pool (the `role` startup parameter). A replica more than `maxLagMs` behind
 * is skipped. `onFallback` is told each time a replica starts a break, `onLag` each time one falls behind or
 * catches up. Opens no connection until the first read. Throws only on an unparsable URL (the config has checked
 * them).
 */
export function openReadDb(
  primary: { sql: postgres.Sql; db: Db },
  urls: readonly [string, ...string[]],
  o: {
    max: number;
    maxLagMs: number;
    onFallback?: (replica: Replica, cause: { code: string; message: string }) => void;
    onLag?: (replica: Replica) => void;
  },
): ReadDb {
  const replicas: Replica[] = urls.map((url) => ({
    name: describe(url),
    sql: openDb(url, o.max, { role: APP_ROLE, connectTimeoutSeconds: REPLICA_CONNECT_TIMEOUT_S }).sql,
    downUntil: 0,
    lagMs: 0,
    behind: false,
    unreplayed: [],
    probedAt: 0,
    probing: false,
  }));
  const failed = (r: Replica, err: unknown) => {
    if (Date.now() >= r.downUntil) o.onFallback?.(r, replicaFailure(err) ?? { code: "?", message: String(err) });
    r.downUntil = Date.now() + REPLICA_BREAK_MS;
  };
  const probe = (r: Replica) => {
    const was = r.behind;
    void probeLag(r, primary.sql, o.maxLagMs, failed).then(() => {
      if (r.behind !== was) o.onLag?.(r);
    });
  };
  const handles: Db[] = replicas.map((r) => drizzle(fallbackClient(r, primary.sql, failed), { schema }));
  const byHandle = new Map(handles.map((h, i) => [h, replicas[i] as Replica]));
  // A usable replica at random (not in its break, not behind); when none is, any (its client sends the read to
  // the primary). Each pick also starts the lag probes that are due, without waiting for them.
  const pick = (hs: Db[]): Db => {
    const now = Date.now();
    for (const r of replicas) if (!r.probing && now - r.probedAt >= LAG_PROBE_MS && now >= r.downUntil) probe(r);
    const up = hs.filter((h) => {
      const r = byHandle.get(h);
      return r !== undefined && r.downUntil <= now && !r.behind;
    });
    const from = up.length > 0 ? up : hs;
    return from[Math.floor(Math.random() * from.length)] as Db;
  };
  const [first, ...rest] = handles;
  if (!first) throw new Error("openReadDb needs at least one replica URL");
  const db = withReplicas(primary.db, [first, ...rest], pick);
  return {
    db,
    replicas,
    async end() {
      await Promise.all(replicas.map((r) => r.sql.end({ timeout: 5 })));
    },
  };
}
