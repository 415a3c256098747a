/**
 * Test environment shared by the integration suite (vitest) and the browser
 * suite (Playwright): a fresh database per run on the configured PostgreSQL
 * (DATABASE_URL, e.g. CI's 127.0.0.1:5432) or on an embedded one, and the real
 * app (scripts/start.ts, the production build) serving it on a free port.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import postgres from "postgres";
import { enableAppLogin } from "@/db/app-role";
import { APP_ROLE } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { parseConfig } from "@/lib/config";
import { anyFreePort, portIsFree } from "@/lib/net/ports";
import { startCommandArgs } from "@/scripts/start-command";

const root = path.resolve(import.meta.dirname, "../..");
export const TEST_AUTH_SECRET = "test-secret-for-the-integration-suite-only-0123456789";
export const TEST_SANDBOX_SECRET = "whsec_test_sandbox_secret_for_the_suite";

/**
 * The app role's password on test servers (db/app-role.ts). One constant: the role is one per server and
 * concurrent runs on CI's shared server must not lock each other out; test servers are local only.
 */
export const TEST_APP_PASSWORD = "crowdfund-app-test-password";

export interface TestDatabase {
  /** The owner's connection (the migrations' user): what tests use to arrange and inspect rows. */
  url: string;
  /** The app's own least-privilege login (`crowdfund_app`) on the same database: what the app under test uses. */
  appUrl: string;
  drop(): Promise<void>;
}

/** The app role's connection string on the database of owner URL `url` (provisionDatabase enabled its login). */
export function testAppUrl(url: string): string {
  const u = new URL(url);
  u.username = APP_ROLE;
  u.password = TEST_APP_PASSWORD;
  return u.toString();
}

function assertLocal(url: string) {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(`refusing to run tests against a non-local database (${host})`);
  }
}

/**
 * The PostgreSQL server tests run on: DATABASE_URL's, else the embedded test server (data in
 * `.test-data`, port 54339, apart from the app's `.data`), started if it is not running. `stop()`
 * stops it only if this call started it: a process never stops a server it found running, which
 * another process (the `npm test` launcher, a running bench) owns.
 */
export async function testPostgresServer(log: (msg: string) => void = () => {}): Promise<{ url: string; stop(): Promise<void> }> {
  const env = parseConfig({ ...process.env, NODE_ENV: "test" });
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => {} };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(root, ".test-data"),
    port: 54339,
    database: "postgres",
    log,
  });
  return embedded;
}

/**
 * Create (and later drop) a uniquely named, migrated database for this run, on the test server or on the
 * server of owner URL `serverUrl` (a test's own PostgreSQL, which `drop()` leaves running).
 */
export async function provisionDatabase(label: string, serverUrl?: string): Promise<TestDatabase> {
  const server = serverUrl ? { url: serverUrl, stop: async () => {} } : await testPostgresServer();
  assertLocal(server.url);
  const name = `cf_${label}_${Date.now().toString(36)}_${process.pid}`;
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrateDatabase(url);
  const appUrl = await enableAppLogin(url, TEST_APP_PASSWORD);
  return {
    url,
    appUrl,
    async drop() {
      const a = postgres(server.url, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
      await server.stop();
    },
  };
}

export interface AppServer {
  baseUrl: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** How the app is started: the README's `npm start`, Next.js's own `next start`, or the standalone server. */
export type Launcher = "npm start" | "next start" | "standalone";

function launch(how: Launcher, port: number): { args: string[]; cwd: string } {
  // One process each (no npm or shell wrapper), so that SIGKILL kills the server itself.
  if (how === "npm start") return { args: startCommandArgs(), cwd: root };
  if (how === "next start") {
    return {
      args: [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"],
      cwd: root,
    };
  }
  return { args: ["server.js"], cwd: path.join(root, ".next", "standalone") };
}

/**
 * Start the built app on its own port against `databaseUrl` (by `how`, default `npm start`), its pools on
 * the app role's login (testAppUrl); resolves once /api/health answers. Only `npm start` seeds the demo users (seed them with `seedUsers` otherwise).
 */
export async function startApp(
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
  port?: number,
  how: Launcher = "npm start",
): Promise<AppServer> {
  const p = port ?? (await anyFreePort());
  // Guard: a health check must never be answered by some other (e.g. surviving) server on this port.
  if (!(await portIsFree(p))) throw new Error(`port ${p} is already in use`);
  const { args, cwd } = launch(how, p);
  // CF_APP_NODE_ARGS: Node.js flags for the app's process only, for profiling a bench (e.g. "--cpu-prof
  // --cpu-prof-dir=/tmp/prof"; Node.js refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = process.env.CF_APP_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      // The app's pools log in as the least-privilege role, as in production (docs/operations.md, "Database
      // roles"); a test of the one-URL mode passes DATABASE_APP_URL: "" to leave it unset.
      DATABASE_APP_URL: testAppUrl(databaseUrl),
      PORT: String(p),
      HOSTNAME: "127.0.0.1",
      CF_SKIP_BUILD: "true",
      SEED_DEMO_USERS: "true",
      PASSWORD_LOGIN: "true",
      NEXTAUTH_SECRET: TEST_AUTH_SECRET,
      SANDBOX_WEBHOOK_SECRET: TEST_SANDBOX_SECRET,
      SANDBOX_PENDING_MS: "1500",
      NEXTAUTH_URL: `http://localhost:${p}`,
      LOG_LEVEL: "warn",
      // Every test sends from 127.0.0.1 as the same few demo users, with the sandbox's few test cards, and
      // mints tokens freely: the abuse limits would throttle unrelated tests. The tests of those limits
      // (card-testing, auth-hardening) pass their own small ones.
      CARD_DECLINES_MAX_PER_USER: "100000",
      CARD_DECLINES_MAX_PER_IP: "100000",
      CARD_DECLINES_MAX_PER_CARD: "100000",
      API_TOKENS_MAX_PER_USER: "10000",
      API_TOKENS_MINT_PER_HOUR: "10000",
      // scripts/start.ts sets it itself; Next.js's own servers expect it from the environment.
      ...(how === "npm start" ? {} : { NODE_ENV: "production" }),
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const baseUrl = `http://localhost:${p}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited (${child.exitCode}) during start:\n${out}`);
    try {
      const r = await fetch(`${baseUrl}/api/health`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`app did not become healthy in 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    port: p,
    process: child,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
  };
}
