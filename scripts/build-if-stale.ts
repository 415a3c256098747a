import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import path from "node:path";

/**
 * `next build` (with the standalone server, next.config.ts) when .next is missing or older than any
 * source (used by npm start and the test runners).
 */
const root = process.cwd();

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(p)) {
    if (!e.endsWith(".test.ts")) newest = Math.max(newest, newestMtime(path.join(p, e)));
  }
  return newest;
}

export function buildIfStale(say: (msg: string) => void = console.log) {
  const buildId = path.join(root, ".next", "BUILD_ID");
  const sources = [
    "app",
    "components",
    "lib",
    "db",
    "public",
    "proxy.ts",
    "instrumentation.ts",
    "next.config.ts",
    "package-lock.json",
  ];
  // A plain `next build` (npm run build) writes no standalone server: that build is not enough here.
  const standalone = existsSync(path.join(root, ".next", "standalone", "server.js"));
  const built = existsSync(buildId) && standalone ? statSync(buildId).mtimeMs : 0;
  const changed = Math.max(...sources.map((s) => newestMtime(path.join(root, s))));
  if (built > changed) return say("build is up to date");
  say(built ? "sources changed since the last build: building" : "no build yet: building (about a minute)");
  const started = new Date();
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", CF_STANDALONE_BUILD: "1" },
  });
  if (r.status !== 0) throw new Error(`next build failed (exit ${r.status})`);
  // The build is as new as the sources it read, not as its end: a file saved while it ran makes it stale.
  utimesSync(buildId, started, started);
}
