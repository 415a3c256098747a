import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

export type CliProcess = ChildProcess & { output: () => string; done: Promise<number | null> };

/** Start `npm run cli -- <args>` as its own process (one node process, so SIGKILL kills the CLI itself). */
export function startCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  return startScript("scripts/cli.ts", args, env);
}

/** Start `npm run worker` (the background roles, SERVICES) as its own process. */
export function startWorker(env: Record<string, string | undefined>): CliProcess {
  return startScript("scripts/worker.ts", [], env);
}

function startScript(script: string, args: string[], env: Record<string, string | undefined>): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const done = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return Object.assign(child, { output: () => out, done });
}

/** Run the CLI to its end: exit code and everything it printed. */
export async function runCli(args: string[], env: Record<string, string | undefined>) {
  const p = startCli(args, env);
  const code = await p.done;
  return { code, out: p.output() };
}
