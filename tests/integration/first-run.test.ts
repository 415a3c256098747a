/**
 * The README's first command from a checkout in a 0700 directory (what `mktemp -d` makes, and what
 * root's home is): the app starts on the embedded default with nothing configured, serves, and stops
 * its PostgreSQL on Ctrl-C. As root (CI, most containers) PostgreSQL runs as the `postgres` system
 * user, who cannot enter such a directory: the cluster must then live where it can (db/embedded-root.ts).
 *
 * The checkout is the repository's files (tracked and new, as a clone would have them) with
 * node_modules and the production build hard-linked in, so the test does not install or build again.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { anyFreePort } from "@/lib/net/ports";
import { startCommandArgs } from "@/scripts/start-command";
import { waitFor } from "../support/events-db";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const repo = path.resolve(import.meta.dirname, "../..");
const asRoot = userInfo().uid === 0;

describe("first run from a 0700 directory", () => {
  const home = mkdtempSync(path.join(tmpdir(), "cf-first-run-"));
  const checkout = path.join(home, "crowdfund");
  let app: ChildProcess | undefined;
  let output = "";

  afterAll(async () => {
    if (app && app.exitCode === null) {
      app.kill("SIGINT");
      await new Promise((r) => app?.once("exit", r));
    }
    const note = path.join(checkout, ".data", "pg-location.txt");
    const cluster = existsSync(note) ? /cluster is in (\S+) /.exec(readFileSync(note, "utf8"))?.[1] : undefined;
    if (cluster?.startsWith("/var/lib/crowdfund/clusters/")) rmSync(cluster, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it("npm start serves on the embedded default and stops cleanly on Ctrl-C", { timeout: 180_000 }, async () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    mkdirSync(checkout);
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo })
      .toString()
      .split("\0")
      .filter((f) => f && existsSync(path.join(repo, f)));
    execFileSync("sh", ["-c", `tar -C "${repo}" -cf - --null -T - | tar -C "${checkout}" -xf -`], { input: files.join("\0") });
    execFileSync("cp", ["-al", path.join(repo, "node_modules"), path.join(repo, ".next"), checkout]);

    const port = await anyFreePort();
    // Nothing configured: no DATABASE_URL, REDIS_URL or anything else of the suite's environment.
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      LANG: "C.UTF-8",
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await anyFreePort()),
      CF_SKIP_BUILD: "true", // the hard-linked build is current; npm start would otherwise check it
    } as unknown as NodeJS.ProcessEnv;
    const child = spawn(process.execPath, startCommandArgs(), { cwd: checkout, env });
    app = child;
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const health = await waitFor(
      "the app to answer /api/health",
      async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.status ?? app?.exitCode ?? "starting",
      (s) => s === 200 || typeof s === "number",
      150_000,
    ).catch((e) => {
      throw new Error(`${e instanceof Error ? e.message : e}\n--- app output ---\n${output}`);
    });
    expect(health, output).toBe(200);
    const home200 = await fetch(`${base}/`);
    expect(home200.status).toBe(200);
    const missing = await fetch(`${base}/api/campaigns/01900000-0000-7000-8000-000000000000`);
    expect(missing.status).toBe(404); // answered from the database
    expect((await missing.json()).error.code).toBe("CAMPAIGN_NOT_FOUND");

    const note = path.join(checkout, ".data", "pg-location.txt");
    let pgDir = path.join(checkout, ".data", "pg");
    if (asRoot) {
      const cluster = /cluster is in (\/var\/lib\/crowdfund\/clusters\/[0-9a-f]{16}) /.exec(readFileSync(note, "utf8"));
      expect(cluster, "pg-location.txt names the cluster").toBeTruthy();
      pgDir = cluster?.[1] as string;
    }
    expect(existsSync(path.join(pgDir, "PG_VERSION"))).toBe(true);
    const postmaster = Number(readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n")[0]);
    expect(alive(postmaster)).toBe(true);

    // Ctrl-C: the app exits (130, as after a SIGINT, or 0) and takes its PostgreSQL down with it.
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect([0, 130], output).toContain(code);
    await waitFor(
      "the embedded PostgreSQL to stop",
      () => alive(postmaster),
      (a) => !a,
      15_000,
    );
  });
});
