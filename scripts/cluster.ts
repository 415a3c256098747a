/**
 * `npm run start:cluster -- [--instances 2] [--workers 1] [--port 8080] [--base-port 3000]`: the self-hosted
 * shape on one machine, each role its own process as it would be on many (docs/deploy.md):
 * - N web instances (`npm start` with SERVICES=web) on 127.0.0.1:base-port…base-port+N−1;
 * - W workers (`npm run worker`, SERVICES=consumers,dispatcher): event consumers and the sandbox's webhooks;
 * - one scheduler (`npm run worker`, SERVICES=scheduler): the daily payout;
 * - nginx (Debian's package) with `deploy/nginx.conf` on 127.0.0.1:port, balancing over the web instances
 *   and caching the public campaign reads.
 * Every process's output goes to this one stream, each line prefixed with the process's name. A process that
 * exits is started again after a second, as a supervisor (systemd, Kubernetes) would. With DATABASE_URL unset
 * it runs the embedded PostgreSQL itself (data in DATA_DIR, like `npm start`) and the demo users. SIGINT or
 * SIGTERM stops everything: nginx first, then the web instances, the workers and PostgreSQL.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { enableAppLogin } from "@/db/app-role";
import { type EmbeddedHandle, localSecrets, startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { ConfigError, parseConfig } from "@/lib/config";
import { buildIfStale } from "./build-if-stale";
import { localNginxConf } from "./nginx-conf";
import { startCommandArgs } from "./start-command";

const USAGE = "usage: npm run start:cluster -- [--instances N] [--workers N] [--port P] [--base-port P]";
const say = (msg: string) => console.log(`[cluster] ${msg}`);

function fail(msg: string): never {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

function count(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return n;
}

interface Member {
  name: string;
  args: string[];
  env: Record<string, string>;
  child?: ChildProcess;
}

async function main() {
  const { values } = parseArgs({
    options: {
      instances: { type: "string", default: "2" },
      workers: { type: "string", default: "1" },
      port: { type: "string", default: "8080" },
      "base-port": { type: "string", default: "3000" },
    },
  });
  const instances = count("instances", values.instances, 1, 32);
  const workers = count("workers", values.workers, 0, 32);
  const port = count("port", values.port, 1, 65535);
  const basePort = count("base-port", values["base-port"], 1, 65535 - instances);
  const nginxBin = spawnSync("sh", ["-c", "command -v nginx || ls /usr/sbin/nginx 2>/dev/null"]).stdout.toString().trim();
  if (!nginxBin) fail("nginx is not installed (Debian: apt-get install nginx)");

  let pre: ReturnType<typeof parseConfig>;
  try {
    pre = parseConfig({ ...process.env, NODE_ENV: "test" });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  buildIfStale(say);

  // The database every process shares: DATABASE_URL, or the embedded one this process runs.
  let embedded: EmbeddedHandle | undefined;
  const shared: Record<string, string> = {};
  if (pre.DATABASE_URL) {
    await migrateDatabase(pre.DATABASE_URL);
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: pre.DATA_DIR, port: pre.EMBEDDED_PG_PORT, stopAdopted: true, log: say });
    await migrateDatabase(embedded.url);
    const secrets = localSecrets(pre.DATA_DIR);
    shared.DATABASE_URL = embedded.url;
    shared.DATABASE_APP_URL = await enableAppLogin(embedded.url, secrets.appPassword);
    if (!pre.NEXTAUTH_SECRET) shared.NEXTAUTH_SECRET = secrets.authSecret;
    shared.CF_EMBEDDED = "true"; // as under npm start: password sign-in, and demo users when on loopback
  }
  const front = `http://localhost:${port}`;
  // Links, sign-in callbacks and the sandbox's webhooks go through the front, as on a real deployment.
  if (!pre.NEXTAUTH_URL) shared.NEXTAUTH_URL = front;
  if (!pre.SANDBOX_WEBHOOK_URL) shared.SANDBOX_WEBHOOK_URL = `${front}/api/webhooks/stripe`;
  if (pre.trustedProxyHops === 0) shared.TRUST_PROXY = "1"; // the client's address comes from nginx's X-Forwarded-For
  shared.CF_SKIP_BUILD = "true";
  // What the processes will check at their start, checked once here: a missing NEXTAUTH_SECRET (required with
  // DATABASE_URL, as under `next start`) stops the cluster now instead of restarting every process in a loop.
  try {
    parseConfig({ ...process.env, ...shared, NODE_ENV: "production" });
  } catch (e) {
    await embedded?.stop();
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }

  const node = (script: string) => ["--import", "tsx", path.join("scripts", script)];
  const members: Member[] = [
    ...Array.from({ length: instances }, (_, i) => ({
      name: `web-${i + 1}`,
      args: startCommandArgs(),
      env: { SERVICES: "web", PORT: String(basePort + i), HOSTNAME: "127.0.0.1" },
    })),
    ...Array.from({ length: workers }, (_, i) => ({
      name: `worker-${i + 1}`,
      args: node("worker.ts"),
      env: { SERVICES: "consumers,dispatcher" },
    })),
    { name: "scheduler", args: node("worker.ts"), env: { SERVICES: "scheduler" } },
  ];

  let stopping = false;
  const start = (m: Member) => {
    const child = spawn(process.execPath, m.args, {
      env: { ...process.env, ...shared, ...m.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    m.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on("line", (line) => console.log(`[${m.name}] ${line}`));
    }
    say(`${m.name} started (pid ${child.pid})`);
    child.on("exit", (code, signal) => {
      if (stopping) return;
      say(`${m.name} exited (${signal ?? `code ${code}`}): starting it again in 1 s`);
      setTimeout(() => !stopping && start(m), 1000);
    });
  };
  let nginx: ChildProcess | undefined;
  let work: string | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping nginx, then the web instances, then the workers`);
    nginx?.kill("SIGQUIT");
    const ended = (c?: ChildProcess) =>
      new Promise<void>((r) => (!c || c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r())));
    const web = members.filter((m) => m.name.startsWith("web-"));
    const rest = members.filter((m) => !m.name.startsWith("web-"));
    for (const group of [web, rest]) {
      for (const m of group) m.child?.kill("SIGTERM");
      // A process that does not finish within 15 s is killed.
      const timer = setTimeout(() => {
        for (const m of group) m.child?.kill("SIGKILL");
      }, 15_000);
      await Promise.all(group.map((m) => ended(m.child)));
      clearTimeout(timer);
    }
    await ended(nginx);
    await embedded?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    process.exit(0);
  };
  for (const m of members) start(m);

  // nginx, once every web instance answers.
  for (const i of Array.from({ length: instances }, (_, k) => k)) await healthy(`http://127.0.0.1:${basePort + i}`, 90_000);
  work = mkdtempSync(path.join(tmpdir(), "crowdfund-nginx-"));
  // nginx makes its cache and temporary directories in here for its workers (`nobody` when it runs as root).
  chmodSync(work, 0o755);
  const upstreams = Array.from({ length: instances }, (_, i) => basePort + i);
  writeFileSync(path.join(work, "nginx.conf"), localNginxConf({ work, port, upstreams }));
  nginx = spawn(nginxBin, ["-c", path.join(work, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [nginx.stdout, nginx.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (line) => console.log(`[nginx] ${line}`));
  }
  nginx.on("exit", (code, signal) => {
    if (!stopping) {
      say(`nginx exited (${signal ?? `code ${code}`}): stopping the cluster`);
      void stop("nginx exit");
    }
  });
  await healthy(front, 10_000);
  say(
    `serving on ${front}: nginx over ${instances} web instance(s) (ports ${upstreams.join(", ")}), ${workers} worker(s), 1 scheduler (${embedded ? "embedded PostgreSQL" : "DATABASE_URL"})`,
  );

  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/** Wait until `base`/api/health answers 200; throws after `ms`. */
async function healthy(base: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${base} did not answer /api/health with 200 within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

main().catch((err) => {
  console.error(`[cluster] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
