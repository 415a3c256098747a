/**
 * A real PostgreSQL primary and a streaming replica of it, on loopback, for the read-replica test
 * (tests/contract/read-replicas.test.ts): Debian's PostgreSQL 15 binaries (initdb, pg_ctl, pg_basebackup), two
 * clusters in a fresh directory, free ports, trust authentication on 127.0.0.1 (replication included).
 *
 * PostgreSQL refuses to run as root (CI runs as root): then, as the embedded default does (db/embedded-root.ts),
 * every binary runs as the `postgres` system user, and the clusters live under /var/lib/crowdfund, which that user
 * can reach even when the checkout and $TMPDIR are 0700 directories of root's.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import exitHook from "async-exit-hook";
import postgres from "postgres";
import { postgresUser, ROOT_HOME } from "@/db/embedded-root";
import { anyFreePort } from "@/lib/net/ports";
import { waitFor } from "./wait";

/** Where Debian's postgresql-15 package puts its server binaries (CI's PostgreSQL is that package). */
export const PG15_BIN = "/usr/lib/postgresql/15/bin";

export interface StreamingPair {
  /** The primary's superuser URL (database `postgres`). */
  primaryUrl: string;
  /** The replica's superuser URL (database `postgres`). */
  replicaUrl: string;
  replicaPort: number;
  /** Resolve once the replica has replayed everything the primary had written when called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Hold / resume the replica's replay of the WAL it receives (pg_wal_replay_pause/resume). */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Stop both servers and delete their directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Start a primary, take a base backup of it with `pg_basebackup -R`, start that as its streaming replica. */
export async function startStreamingPair(): Promise<StreamingPair> {
  const missing = ["initdb", "pg_ctl", "postgres", "pg_basebackup"].filter((b) => !existsSync(path.join(PG15_BIN, b)));
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} missing from ${PG15_BIN}: install Debian's postgresql-15 package (.ci/run does)`);
  }
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? postgresUser() : undefined;
  let base = tmpdir();
  if (asRoot) {
    mkdirSync(ROOT_HOME, { recursive: true, mode: 0o755 });
    base = ROOT_HOME;
  }
  const dir = mkdtempSync(path.join(base, "replica-test-"));
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const primaryDir = path.join(dir, "primary");
  const replicaDir = path.join(dir, "replica");
  const [primaryPort, replicaPort] = [await anyFreePort(), await anyFreePort()];

  const run = (bin: string, args: string[]) => {
    const r = spawnSync(path.join(PG15_BIN, bin), args, {
      ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      cwd: dir,
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    if (r.status !== 0) {
      const log = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8").slice(-2000) : "");
      throw new Error(
        `${bin} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.error}\n${log("primary.log")}${log("replica.log")}`,
      );
    }
  };
  // -k: sockets in our directory (the system's /var/run/postgresql belongs to CI's own server).
  const start = (data: string, port: number, log: string) =>
    run("pg_ctl", ["start", "-w", "-t", "60", "-D", data, "-l", path.join(dir, log), "-o", `-p ${port} -k ${dir}`]);
  const stopServer = (data: string) => {
    if (existsSync(path.join(data, "postmaster.pid"))) run("pg_ctl", ["stop", "-w", "-t", "60", "-D", data, "-m", "fast"]);
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      stopServer(replicaDir);
    } finally {
      try {
        stopServer(primaryDir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  };
  // A run ended by a signal must not leave two servers behind.
  exitHook((done) => {
    stop().then(done, done);
  });

  try {
    run("initdb", ["-D", primaryDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"]);
    // wal_level=replica and max_wal_senders are PostgreSQL's defaults; said here so the test does not hang on them.
    appendFileSync(
      path.join(primaryDir, "postgresql.conf"),
      "\nlisten_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\n",
    );
    appendFileSync(path.join(primaryDir, "pg_hba.conf"), "\nhost replication all 127.0.0.1/32 trust\n");
    // For the standby (pg_basebackup copies this file): cancel a read that holds back replay at once, so that a
    // test can provoke a recovery conflict without waiting the default 30 s.
    appendFileSync(path.join(primaryDir, "postgresql.conf"), "max_standby_streaming_delay = 0\nhot_standby_feedback = off\n");
    start(primaryDir, primaryPort, "primary.log");
    // -R writes primary_conninfo and standby.signal: the copy starts as a hot standby streaming from the primary.
    run("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(primaryPort),
      "-U",
      "postgres",
      "-D",
      replicaDir,
      "-R",
      "-X",
      "stream",
      "-c",
      "fast",
    ]);
    start(replicaDir, replicaPort, "replica.log");
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
  const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/postgres`;
  const once = async <T>(url: string, f: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await f(sql);
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  return {
    primaryUrl,
    replicaUrl,
    replicaPort,
    async caughtUp(timeoutMs = 30_000) {
      const [{ lsn }] = (await once(primaryUrl, (s) => s`select pg_current_wal_lsn()::text as lsn`)) as [{ lsn: string }];
      const done = await waitFor(
        () =>
          once(replicaUrl, async (s) => {
            const [row] = await s`select coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, false) as ok`;
            return row?.ok === true;
          }).catch(() => false),
        (ok) => ok,
        timeoutMs,
      );
      if (!done) throw new Error(`the replica did not replay up to ${lsn} within ${timeoutMs} ms`);
    },
    async pauseReplay() {
      await once(replicaUrl, (s) => s`select pg_wal_replay_pause()`);
    },
    async resumeReplay() {
      await once(replicaUrl, (s) => s`select pg_wal_replay_resume()`);
    },
    async stopReplica() {
      stopServer(replicaDir);
    },
    async startReplica() {
      start(replicaDir, replicaPort, "replica.log");
    },
    stop,
  };
}
