/**
 * `npm start`: what is particular to the embedded default. Builds the app when the build is missing or
 * older than the sources, starts the embedded PostgreSQL when DATABASE_URL is unset (docs/architecture.md,
 * deployment modes), migrates, seeds the demo users, then serves Next.js on PORT (default 3000). The
 * process roles (SERVICES) start inside Next.js, from instrumentation.ts, exactly as under `next start`.
 * SIGINT/SIGTERM close the server, stop the roles, then stop PostgreSQL.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import next from "next";
import { assertLeastPrivilege, enableAppLogin, openAppDb } from "@/db/app-role";
import { type EmbeddedHandle, localSecrets, startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { processState, RENDER_TAG, stopRoles } from "@/lib/app/process";
import { ConfigError, config, isLoopback, parseConfig, resetConfig } from "@/lib/config";
import { DATABASE_RETRY_AFTER_SECONDS } from "@/lib/errors/database";
import { buildIfStale } from "./build-if-stale";

const root = process.cwd();
const say = (msg: string) => console.log(`[start] ${msg}`);

function hasValidPath(url: string): boolean {
  try {
    decodeURIComponent(url.split("?")[0] ?? "");
    return true;
  } catch {
    return false;
  }
}

async function main() {
  let pre: ReturnType<typeof parseConfig>;
  try {
    // Validate everything now; the production secret rule is checked after the embedded default may have generated one.
    pre = parseConfig({ ...process.env, NODE_ENV: "test" });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  if (!pre.CF_SKIP_BUILD) buildIfStale(say);

  let embedded: EmbeddedHandle | undefined;
  if (!pre.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({
      dataDir: pre.DATA_DIR,
      port: pre.EMBEDDED_PG_PORT,
      stopAdopted: true,
      log: (m) => say(m),
    });
    process.env.DATABASE_URL = embedded.url;
    process.env.CF_EMBEDDED = "true";
    if (!pre.NEXTAUTH_SECRET) process.env.NEXTAUTH_SECRET = localSecrets(pre.DATA_DIR).authSecret;
  }
  (process.env as Record<string, string>).NODE_ENV = "production";
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  // next-auth derives its URL from the Host header when NEXTAUTH_URL is unset.
  if (!pre.NEXTAUTH_URL) process.env.AUTH_TRUST_HOST = "true";
  resetConfig();
  const c = config();

  let server: Server | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: shutting down`);
    if (server) {
      // Stop accepting, let in-flight requests finish (up to 10 s), then drop what is left.
      const s = server;
      const closed = new Promise((r) => s.close(() => r(undefined)));
      s.closeIdleConnections();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
      s.closeAllConnections();
    }
    // The roles (consumers, scheduler, dispatcher) run inside the Next.js bundle, started by instrumentation.ts.
    await stopRoles();
    await embedded?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  say("applying migrations");
  await migrateDatabase(c.DATABASE_URL as string);
  if (embedded && !c.DATABASE_APP_URL) {
    // The app's pools log in as the least-privilege role, not as the superuser that migrates (docs/operations.md).
    process.env.DATABASE_APP_URL = await enableAppLogin(embedded.url, localSecrets(pre.DATA_DIR).appPassword);
    resetConfig();
  }
  // Never serve on a connection that could rewrite the ledger: stop here, naming the variable, rather than
  // answer every request with the instrumentation hook's failure.
  const probe = openAppDb(config(), 1);
  try {
    await assertLeastPrivilege(probe.db);
  } finally {
    await probe.sql.end({ timeout: 5 });
  }
  await prepareSignIn(c);

  // tsx turned Node.js's source maps on for the whole process (for this file's TypeScript). Left on, Node.js also
  // reads, eagerly and in full, the source map of every Next.js server chunk it loads: about 130 MB of JSON,
  // which made the server need more than 256 MiB of heap just to start. `next start` runs without them; so does this.
  process.setSourceMapsEnabled(false);
  const app = next({ dev: false, dir: root, hostname: c.HOSTNAME, port: c.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();
  const srv = createServer((req, res) => {
    recordClientAddress(req, c.trustedProxyHops);
    // Next.js answers a bare 500 to a path with broken percent-encoding; refuse it cleanly first.
    if (!hasValidPath(req.url ?? "/")) {
      res.writeHead(400, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ error: { code: "MALFORMED_URL", message: "The request path is not valid percent-encoding" } }));
      return;
    }
    answerOutagesAs503(req, res);
    void handle(req, res);
  });
  // Node.js refuses a request line or headers past its limit (16 KB), or that it cannot parse, before any
  // handler runs, with a bare 431 or 400: answer them with the API's error body instead.
  const refused = new WeakSet<object>();
  srv.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    // Node.js's parser stays on the socket and reports every later chunk of the refused request as another error:
    // the first one was answered, the rest is being drained (below).
    if (refused.has(socket)) return;
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
    const [status, code, message] = tooLarge
      ? [431, "HEADERS_TOO_LARGE", "The request line and headers are larger than the server accepts"]
      : [400, "MALFORMED_REQUEST", "The request is not valid HTTP"];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\ncontent-type: application/json\r\n` +
        `cache-control: no-store\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    // A lingering close, as nginx's lingering_close and Go's server do: read and drop what the client still sends
    // (the rest of a 2 MB URL, say) for up to 5 s instead of closing on it. Closed with unread data, the socket makes
    // the kernel answer with a reset, which can reach the client before it has read the answer: the fuzzer once got
    // ECONNRESET instead of this 431 for a 1.8 MB query string (CI, seed 58634905).
    refused.add(socket);
    socket.removeAllListeners("data");
    socket.on("data", () => {});
    socket.resume();
    const giveUp = setTimeout(() => socket.destroy(), 5000).unref();
    socket.once("close", () => clearTimeout(giveUp));
  });
  server = srv;
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(c.PORT, c.HOSTNAME, () => resolve());
  });
  const where = isLoopback(c.HOSTNAME) ? `http://localhost:${c.PORT}` : `http://${c.HOSTNAME}:${c.PORT} (every interface)`;
  say(`serving on ${where} (${embedded ? "embedded PostgreSQL" : "DATABASE_URL"})`);
}

/**
 * Who can sign in with a password at start (issue 13, finding 6). Demo users (published password) only when
 * `seedDemoUsers` (the embedded default on loopback, or SEED_DEMO_USERS=true); otherwise demo users seeded
 * by an earlier run lose that password, and the embedded default beyond loopback gets a first-run admin whose
 * random password is printed here once (stored as a bcrypt hash; lost, it is not shown again).
 */
async function prepareSignIn(c: ReturnType<typeof config>) {
  const { openDb } = await import("@/db/client");
  const { disableDemoPasswords, seedDemoUsers } = await import("@/db/seed");
  const { ensureFirstRunAdmin } = await import("@/lib/users");
  const { sql, db } = openDb(c.DATABASE_URL as string, 1);
  try {
    if (c.seedDemoUsers) {
      const added = await seedDemoUsers(db);
      say(added ? `seeded ${added} demo users (password "password")` : "demo users present");
      if (!isLoopback(c.HOSTNAME)) say(`WARNING: demo users with a published password on ${c.HOSTNAME}`);
      return;
    }
    if (c.passwordLogin && (await disableDemoPasswords(db)) > 0) {
      say("demo users' published password disabled (no demo users unless on loopback or SEED_DEMO_USERS=true)");
    }
    if (c.firstRunAdmin) {
      const admin = await ensureFirstRunAdmin(db);
      if (admin) {
        say(`first-run admin created: ${admin.email} / ${admin.password}`);
        say("this password is shown only now; it is stored hashed");
      }
    }
  } finally {
    await sql.end();
  }
}

/**
 * A page whose server component failed because the database was unavailable: Next.js answers its error
 * page (app/error.tsx) with a 500, which says "our bug" where the truth is "retry in a moment". Tag the
 * request (RENDER_TAG); when instrumentation.ts `onRequestError` marked its render as failed on an outage,
 * the 500 goes out as a 503 with Retry-After, same page. Only under `npm start`: `next start`, the
 * standalone server and Vercel answer Next.js's 500.
 */
processState.__cfOutageRenders ??= new Set();
const outageRenders = processState.__cfOutageRenders;
function answerOutagesAs503(req: IncomingMessage, res: ServerResponse) {
  const tag = randomUUID();
  req.headers[RENDER_TAG] = tag;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    if (status === 500 && outageRenders.delete(tag)) {
      status = 503;
      this.setHeader("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as typeof res.writeHead;
  res.once("close", () => outageRenders.delete(tag));
}

/**
 * Put the connection's address where the proxy reads the client IP (lib/auth/ratelimit#clientIp): with no
 * trusted proxy, X-Forwarded-For becomes the socket's address (whatever the client sent is dropped);
 * behind trusted proxies their header is kept, and set to the socket's address when absent (as Next.js does).
 */
function recordClientAddress(req: IncomingMessage, trustedHops: number) {
  const socketAddress = req.socket.remoteAddress ?? "unknown";
  if (trustedHops === 0 || !req.headers["x-forwarded-for"]) req.headers["x-forwarded-for"] = socketAddress;
}

main().catch((err) => {
  console.error(`[start] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
