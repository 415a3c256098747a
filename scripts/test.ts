/**
 * `npm test`: unit and integration tests (vitest). Builds the app first when
 * needed (the integration suite talks HTTP to the real production server),
 * and writes vitest's JSON report to reports/vitest.json.
 * PostgreSQL: DATABASE_URL's server (a fresh database per run), else an embedded one.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { buildIfStale } from "./build-if-stale";

buildIfStale((m) => console.log(`[test] ${m}`));
mkdirSync("reports", { recursive: true });
const r = spawnSync(
  process.execPath,
  [
    path.join("node_modules", "vitest", "vitest.mjs"),
    "run",
    "--reporter=default",
    "--reporter=json",
    "--outputFile.json=reports/vitest.json",
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
process.exit(r.status ?? 1);
