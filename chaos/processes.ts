import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The checkout's root: every role is started from it, as `npm start`, `next start` and `npm run worker` are. */
export const ROOT = path.resolve(import.meta.dirname, "..");

/** Lines of a role's output that mean it failed by itself: a crash the harness did not cause, always a violation. */
export const UNCAUGHT = /uncaughtException|unhandledRejection|Unhandled ?Rejection|Cannot read properties of (null|undefined)/;

/** One role the harness runs (a web instance, the worker, a payout run): its process, its output across restarts. */
export class RoleProcess {
  child?: ChildProcess;
  /** Everything every process of this role printed, in order (kept across restarts). */
  output = "";
  /** How many times the harness sent it SIGKILL; how many times it exited when nobody killed it. */
  kills = 0;
  unexpectedExits = 0;
  private killedByUs = false;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly onExit?: (role: RoleProcess, code: number | null, killed: boolean) => void,
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawn the process (one node process, no npm or shell wrapper, so that SIGKILL kills the role itself). */
  start(): Promise<number | null> {
    this.killedByUs = false;
    const child = spawn(process.execPath, this.args, { cwd: ROOT, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const add = (d: Buffer) => {
      this.output += d.toString("utf8");
      if (this.output.length > 4_000_000) this.output = this.output.slice(-2_000_000); // keep the tail of a long run
    };
    child.stdout?.on("data", add);
    child.stderr?.on("data", add);
    return new Promise((resolve) =>
      child.once("exit", (code) => {
        const killed = this.killedByUs;
        if (!killed && code !== 0) this.unexpectedExits++;
        this.onExit?.(this, code, killed);
        resolve(code);
      }),
    );
  }

  /** `kill -9`: the role dies at once, whatever it was doing. Resolves when it is gone. `fault`: count it as one. */
  async kill(fault = true): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.killedByUs = true;
    if (fault) this.kills++;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }

  /** A graceful stop (SIGTERM), for the end of a run. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.killedByUs = true;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }

  /** Lines of its output that show an uncaught exception or unhandled rejection. */
  uncaughtLines(): string[] {
    return this.output.split("\n").filter((l) => UNCAUGHT.test(l));
  }
}

/** Wait until `url` answers 2xx, or `timeoutMs` passes (false). */
export async function waitHealthy(url: string, timeoutMs: number, alive: () => boolean): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && alive()) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return true;
    } catch {}
    await sleep(200);
  }
  return false;
}
