/**
 * `npm start`: what is particular to the embedded default. Builds the app when the build is missing or
 * older than the sources, starts the embedded PostgreSQL when DATABASE_URL is unset (docs/architecture.md,
 * deployment modes), migrates, seeds the demo users, then serves Next.js on PORT (default 3000). The
 * process roles (SERVICES) start inside Next.js, from instrumentation.ts, exactly as under `next start`.
 * SIGINT/SIGTERM close the server, stop the roles, then stop PostgreSQL.
 */
import { createServer, type Server } from "node:http";
import next from "next";
import { type EmbeddedHandle, localSecrets, startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { stopRoles } from "@/lib/app/process";
import { ConfigError, config, parseConfig, resetConfig } from "@/lib/config";
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
  if (c.seedDemoUsers) {
    const { openDb } = await import("@/db/client");
    const { seedDemoUsers } = await import("@/db/seed");
    const { sql, db } = openDb(c.DATABASE_URL as string, 1);
    const added = await seedDemoUsers(db);
    await sql.end();
    say(added ? `seeded ${added} demo users (password "password")` : "demo users present");
  }

  const app = next({ dev: false, dir: root, hostname: c.HOSTNAME, port: c.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();
  const srv = createServer((req, res) => {
    // Next.js answers a bare 500 to a path with broken percent-encoding; refuse it cleanly first.
    if (!hasValidPath(req.url ?? "/")) {
      res.writeHead(400, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ error: { code: "MALFORMED_URL", message: "The request path is not valid percent-encoding" } }));
      return;
    }
    void handle(req, res);
  });
  // Node.js refuses a request line or headers past its limit (16 KB), or that it cannot parse, before any
  // handler runs, with a bare 431 or 400: answer them with the API's error body instead.
  srv.on("clientError", (err: NodeJS.ErrnoException, socket) => {
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
  });
  server = srv;
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(c.PORT, c.HOSTNAME, () => resolve());
  });
  say(`serving on http://localhost:${c.PORT} (${embedded ? "embedded PostgreSQL" : "DATABASE_URL"})`);
}

main().catch((err) => {
  console.error(`[start] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
