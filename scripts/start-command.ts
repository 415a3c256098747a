import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The Node.js arguments of `npm start` (package.json's `start` script without its leading `node`), e.g.
 * `["--max-semi-space-size=32", "--import", "tsx", "scripts/start.ts"]`, for whatever starts a web instance as
 * its own process (the cluster supervisor, the tests): they run the app with exactly the flags `npm start` gives
 * it, without an npm process in between (a SIGKILL must reach the server itself). Paths are relative to the
 * repository's root. Throws when the script is not a plain `node …` command.
 */
export function startCommandArgs(): string[] {
  const root = path.resolve(import.meta.dirname, "..");
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const [bin, ...args] = (pkg.scripts?.start ?? "").trim().split(/\s+/);
  if (bin !== "node" || args.length === 0) throw new Error(`package.json's start script is not "node …": ${pkg.scripts?.start}`);
  return args;
}
