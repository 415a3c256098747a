/**
 * `npm run e2e`: the browser suite. Builds the app when needed, provisions a
 * fresh database, starts the real app on a free port, and runs Playwright
 * (Debian's Chromium at CHROMIUM_PATH, default /usr/bin/chromium) against it.
 * Playwright's JSON report goes to reports/e2e.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { provisionDatabase, startApp } from "@/tests/support/env";
import { buildIfStale } from "./build-if-stale";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  console.error(`[e2e] Chromium not found at ${chromium}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  process.exit(1);
}
buildIfStale((m) => console.log(`[e2e] ${m}`));
mkdirSync("reports", { recursive: true });

const database = await provisionDatabase("e2e");
let status = 1;
try {
  const app = await startApp(database.url, { RATE_LIMIT_MAX: "100000", RATE_LIMIT_PREFIX: `cf:rl:e2e:${Date.now()}` });
  console.log(`[e2e] app at ${app.baseUrl}`);
  try {
    const r = spawnSync(
      process.execPath,
      [path.join("node_modules", "@playwright", "test", "cli.js"), "test", ...process.argv.slice(2)],
      {
        stdio: "inherit",
        env: { ...process.env, E2E_BASE_URL: app.baseUrl, E2E_DATABASE_URL: database.url, CHROMIUM_PATH: chromium },
      },
    );
    status = r.status ?? 1;
  } finally {
    await app.stop();
  }
} finally {
  await database.drop();
}
process.exit(status);
