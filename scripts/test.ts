/**
 * `npm test`: unit and integration tests (vitest). Builds the app first when
 * needed (the integration suite talks HTTP to the real production server),
 * and writes vitest's JSON report to reports/vitest.json.
 * PostgreSQL: DATABASE_URL's server (a fresh database per run), else the embedded test server,
 * which this launcher starts before vitest and stops after it, so that no test process (a suite, the
 * app, a CLI or worker it spawns) starts or stops a PostgreSQL of its own: they all get DATABASE_URL.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { reachable } from "@/lib/net/ports";
import { testPostgresServer } from "@/tests/support/env";
import { buildIfStale } from "./build-if-stale";

buildIfStale((m) => console.log(`[test] ${m}`));
// Redis and NATS are real parts the suites test against (the rate limiters, the shared cache, the JetStream event
// transport): unset, they are the usual local servers. A test whose server cannot be reached fails; none skips.
for (const [name, url] of [
  ["REDIS_URL", "redis://127.0.0.1:6379"],
  ["NATS_URL", "nats://127.0.0.1:4222"],
] as const) {
  if (!process.env[name]) {
    process.env[name] = url;
    console.log(`[test] ${name} is not set: using ${url}`);
  }
  const where = new URL(process.env[name] as string);
  const port = Number(where.port) || Number(new URL(url).port); // a URL without a port: the usual one
  if (!(await reachable(where.hostname, port))) {
    console.log(`[test] nothing answers at ${where.hostname}:${port} (${name}): the tests that need it will fail`);
  }
}
mkdirSync("reports", { recursive: true });
const server = await testPostgresServer((m) => console.log(`[test] ${m}`));
let status = 1;
try {
  const child = spawn(
    process.execPath,
    [
      path.join("node_modules", "vitest", "vitest.mjs"),
      "run",
      "--reporter=default",
      "--reporter=json",
      "--outputFile.json=reports/vitest.json",
      ...process.argv.slice(2),
    ],
    { stdio: "inherit", env: { ...process.env, DATABASE_URL: server.url } },
  );
  // Ctrl-C reaches vitest through the terminal; we wait for it, then stop the server we started.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  status = await new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
} finally {
  await server.stop();
}
process.exit(status);
