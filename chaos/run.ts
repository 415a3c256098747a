import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { enableAppLogin } from "@/db/app-role";
import { openDb } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { relocatedClusterDir } from "@/db/embedded-root";
import { migrateDatabase } from "@/db/migrate";
import { createApiToken } from "@/lib/auth/tokens";
import { anyFreePort } from "@/lib/net/ports";
import { auditRun, inFlight, type Violation } from "./audit";
import { startFront } from "./front";
import { ROOT, RoleProcess, waitHealthy } from "./processes";
import { between, type CampaignRef, type ClientStats, type Outcome, pick, planOps, rngOf, runClient } from "./workload";

/** A run's settings (`npm run chaos -- --help` lists them; docs/reliability.md gives the documented long run). */
export interface ChaosOptions {
  seed: number;
  /** Contributions the clients make (refunds and edits come on top). */
  contributions: number;
  /** Concurrent clients. */
  clients: number;
  /** Web instances behind the front. */
  instances: number;
  campaigns: number;
  donors: number;
  /** `kill -9`s, spread over web instances, the worker and payout runs. */
  kills: number;
  /** PostgreSQL immediate-mode restarts (crash, then crash recovery). */
  restarts: number;
  /** Share (0–1) of the sandbox's answers and of its webhooks that are lost. */
  loseRate: number;
  /** Where the run's PostgreSQL cluster, logs and client log go (wiped at the start of a run). */
  dataDir: string;
  /** Keep the cluster and logs after the run (to look at them). */
  keep: boolean;
  /** How long one operation may take, retries included (ms), and the run's settling after the last one. */
  opTimeoutMs: number;
  settleTimeoutMs: number;
  /**
   * Bugs to plant after the audit, to prove it catches them (the audit runs again and `planted` lists what it found):
   * `skip-event` a campaign total misses one contribution, as if its consumer skipped the event; `lose-ack` an
   * acknowledged contribution is no longer its key's; `double-charge` the provider holds a second PaymentIntent for
   * a paid contribution.
   */
  plant?: Plant[];
}

export const PLANTS = ["skip-event", "lose-ack", "double-charge"] as const;
export type Plant = (typeof PLANTS)[number];

export const SHORT_RUN = { contributions: 300, kills: 4, restarts: 1, clients: 8, instances: 2, campaigns: 12, donors: 12 };
export const LONG_RUN = { contributions: 10_000, kills: 20, restarts: 3, clients: 16, instances: 2, campaigns: 40, donors: 40 };

/** What a run did and found: the summary table's figures. */
export interface ChaosSummary {
  seed: number;
  seconds: number;
  operations: Record<string, { planned: number; ack: number; refused: number; noAnswer: number }>;
  /** Answers by status and code ("201", "503 DATABASE_UNAVAILABLE", "network (connection)" …). */
  answers: Record<string, number>;
  retries: number;
  kills: Record<string, number>;
  restarts: number;
  /** Role processes that exited when nobody killed them (a failed start while PostgreSQL was down counts here). */
  unexpectedExits: Record<string, number>;
  lostWebhooks: number;
  payoutRuns: { started: number; completed: number; killed: number };
  violations: Violation[];
  /** With `plant`: what the audit found once the bugs were planted (after `violations` was taken). */
  planted: Violation[];
}

const CURRENCIES = ["USD", "EUR", "JPY"] as const;
const AUTH_SECRET = "chaos-harness-auth-secret-0123456789-abcdef";
const WEBHOOK_SECRET = "whsec_chaos_harness_sandbox_secret";
const CRON_SECRET = "chaos-harness-cron-secret-0123";
const APP_PASSWORD = "chaos-app-password";

/**
 * One chaos run (docs/reliability.md): a fresh PostgreSQL cluster; `instances` web processes (`next start`,
 * SERVICES=web) behind a round-robin front; one worker (consumers, scheduler, dispatcher); clients driving
 * contributions, refunds and edits through the front, retrying under their idempotency keys and logging every
 * answer; payout runs (`npm run cli -- payouts run` for successive days); and, at seeded moments of the clients'
 * progress, `kill -9` of a web instance, the worker or a payout run, and immediate-mode restarts of PostgreSQL. The
 * sandbox loses `loseRate` of its answers and webhooks. Then everything is brought back, the run waits until nothing
 * is in flight, and audits (chaos/audit.ts). `say` gets progress lines. Never throws for a violation: they are in the
 * summary.
 */
export async function runChaos(o: ChaosOptions, say: (line: string) => void): Promise<ChaosSummary> {
  const started = Date.now();
  const rng = rngOf(o.seed);
  cleanDataDir(o.dataDir);
  const pg = await startEmbeddedPostgres({ dataDir: o.dataDir, port: await anyFreePort(), database: "chaos", log: say });
  const roles: RoleProcess[] = [];
  let front: Awaited<ReturnType<typeof startFront>> | undefined;
  try {
    say("migrating the run's database");
    await migrateDatabase(pg.url);
    const appUrl = await enableAppLogin(pg.url, APP_PASSWORD);
    const owner = openDb(pg.url, 2);

    // Web instances behind the front; the worker; payout runs as CLI processes.
    const ports: number[] = [];
    for (let i = 0; i < o.instances; i++) ports.push(await anyFreePort());
    const alive = new Set<number>();
    front = await startFront(() => ports.filter((p) => alive.has(p)));
    const env = roleEnv(o, pg.url, appUrl, front.url);
    const webs = ports.map(
      (port, i) =>
        new RoleProcess(
          `web ${i + 1}`,
          [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"],
          { ...env, SERVICES: "web", PORT: String(port) },
          () => alive.delete(port),
        ),
    );
    let stopping = false;
    // The worker exits when it cannot reach PostgreSQL at start: started again a second later, as systemd would.
    const worker: RoleProcess = new RoleProcess(
      "worker",
      ["--import", "tsx", "scripts/worker.ts"],
      { ...env, SERVICES: "consumers,scheduler,dispatcher" },
      (_r, _code, killed) => {
        if (!killed && !stopping) setTimeout(() => void bringUp(worker), 1_000);
      },
    );
    roles.push(...webs, worker);
    const bringUp = async (role: RoleProcess) => {
      // Restart until it runs: a start while PostgreSQL is down fails (the worker exits; Next.js may too).
      for (;;) {
        if (stopping) return;
        void role.start();
        const i = webs.indexOf(role);
        if (i < 0) return; // the worker: it is up once spawned (its roles retry the database themselves)
        const port = ports[i] as number;
        if (await waitHealthy(`http://127.0.0.1:${port}/api/health`, 60_000, () => role.running)) {
          alive.add(port);
          return;
        }
        await role.kill(false); // not a fault of the run: a start that did not come up
      }
    };
    say(`starting ${o.instances} web instances and the worker`);
    await Promise.all([...webs.map(bringUp), bringUp(worker)]);

    // Users, tokens, payout accounts (flaky: transfers time out and lose answers), campaigns.
    const { campaigns, donorTokens } = await setUp(owner.db, front.url, o, rng);
    say(`${o.campaigns} campaigns, ${o.donors} donors; planning ${o.contributions} contributions (seed ${o.seed})`);
    const queues = planOps(rng, o);
    const planned = queues.flat();
    const total = planned.length;

    // Faults at seeded points of the clients' progress.
    const faults = [...Array(o.kills).fill("kill"), ...Array(o.restarts).fill("restart")] as ("kill" | "restart")[];
    const plan = faults
      .map((kind) => ({
        kind,
        at: Math.floor(total * (0.05 + 0.8 * (between(rng, 0, 10_000) / 10_000))),
        pause: between(rng, 300, 3_000),
      }))
      .sort((a, b) => a.at - b.at);
    const targets = plan.map(() => pick(rng, ["web", "web", "worker", "payout"] as const));
    const instanceOf = plan.map(() => between(rng, 0, o.instances - 1));

    const stats: ClientStats = { finished: 0, retries: 0, answers: new Map() };
    const outcomes = new Map<number, Outcome>();
    const logFile = path.join(o.dataDir, "client-log.jsonl");
    writeFileSync(logFile, "");
    const kills: Record<string, number> = { web: 0, worker: 0, payout: 0 };
    let restarts = 0;
    const payoutRuns = { started: 0, completed: 0, killed: 0 };

    // Payout runs: one day after another (future cut-offs, hold 0), each run to completion, again after a kill.
    let payoutDay = 0;
    let payoutRole: RoleProcess | undefined;
    let clientsDone = false;
    const payoutDays = new Set<Promise<void>>();
    const runPayoutDay = (day: number) => {
      const p = payoutUntilDone(day).finally(() => payoutDays.delete(p));
      payoutDays.add(p);
      return p;
    };
    const payoutUntilDone = async (day: number) => {
      const date = new Date(Date.now() + day * 86_400_000).toISOString().slice(0, 10);
      while (!stopping) {
        const run = new RoleProcess(
          `payout ${date}`,
          ["--import", "tsx", "scripts/cli.ts", "payouts", "run", "--date", date, "--allow-future-cutoff"],
          env,
        );
        payoutRole = run;
        roles.push(run);
        payoutRuns.started++;
        const code = await run.start();
        if (payoutRole === run) payoutRole = undefined;
        if (code === 0) {
          payoutRuns.completed++;
          return;
        }
        await sleep(1_000); // killed, PostgreSQL down, or the scheduler holds the run lock: the same day again
      }
    };
    const payouts = (async () => {
      const every = Math.max(1, Math.floor(total / 6));
      let next = every;
      while (!clientsDone) {
        if (stats.finished >= next) {
          next += every;
          await runPayoutDay(++payoutDay);
        }
        await sleep(200);
      }
    })();

    const faulting = (async () => {
      for (const [i, f] of plan.entries()) {
        // A fault whose point the clients passed while an earlier one was under way fires at once (after the
        // last operation too: the settling is attacked as well), so a run always makes all its faults.
        while (stats.finished < f.at && !clientsDone) await sleep(50);
        if (f.kind === "restart") {
          say(
            `fault ${i + 1}/${plan.length}: PostgreSQL immediate-mode restart (down ${f.pause} ms) at ${stats.finished}/${total} operations`,
          );
          await pg.crash();
          await sleep(f.pause);
          await pg.restart();
          restarts++;
          continue;
        }
        let target = targets[i] ?? "web";
        if (target === "payout" && !payoutRole) {
          // No run in progress: start one for the next day and kill it part-way.
          void runPayoutDay(++payoutDay);
          await sleep(f.pause / 3);
        }
        if (target === "payout" && payoutRole?.running) {
          say(`fault ${i + 1}/${plan.length}: kill -9 ${payoutRole.name} at ${stats.finished}/${total} operations`);
          await payoutRole.kill();
          payoutRuns.killed++;
          kills.payout = (kills.payout ?? 0) + 1;
          continue;
        }
        if (target === "payout") target = "worker"; // the run finished first
        const role = target === "worker" ? worker : (webs[instanceOf[i] ?? 0] as RoleProcess);
        say(`fault ${i + 1}/${plan.length}: kill -9 ${role.name} at ${stats.finished}/${total} operations`);
        await role.kill();
        kills[target] = (kills[target] ?? 0) + 1;
        await sleep(f.pause);
        void bringUp(role);
      }
    })();

    const progress = setInterval(() => say(`  ${stats.finished}/${total} operations, ${stats.retries} retries`), 5_000);
    await Promise.all(
      queues.map((queue) =>
        runClient({ base: front!.url, queue, campaigns, donorTokens, stats, logFile, opTimeoutMs: o.opTimeoutMs, outcomes }),
      ),
    );
    clearInterval(progress);
    clientsDone = true;
    await faulting;
    await payouts;
    await Promise.all([...payoutDays]);
    say(`clients done: ${stats.finished} operations, ${stats.retries} retries; bringing every role back and settling`);

    // Everything up again; a last payout day; then wait until nothing is in flight.
    await pg.restart();
    await Promise.all([...webs, worker].filter((r) => !r.running).map(bringUp));
    await runPayoutDay(++payoutDay);
    const settled = await settle(owner.db, front.url, env, o.settleTimeoutMs, say);

    const outcomeList = [...outcomes.values()];
    const clientKeys = planned.flatMap((op) => (op.kind === "contribution" ? [op.key] : []));
    const violations: Violation[] = [];
    if (!settled.ok) violations.push({ kind: "did not settle", detail: JSON.stringify(settled.left) });
    violations.push(...(await auditRun(owner.db, { outcomes: outcomeList, campaigns, clientKeys })));
    for (const x of outcomeList.filter((x) => x.result === "no_answer")) {
      violations.push({ kind: "no answer in time", detail: `op ${x.n} (${x.kind}) after ${x.attempts} attempts` });
    }
    const expectedRefusals = new Set(["CONTRIBUTION_NOT_REFUNDABLE", "REFUND_EXCEEDS_CONTRIBUTION", "CONTRIBUTION_DISPUTED"]);
    for (const x of outcomeList.filter(
      (x) => x.result === "refused" && !(x.kind === "refund" && expectedRefusals.has(x.code ?? "")),
    )) {
      violations.push({ kind: "unexpected refusal", detail: `op ${x.n} (${x.kind}): ${x.status} ${x.code}` });
    }
    for (const [label, n] of stats.answers) {
      if (/^5\d\d/.test(label) && !/^50[23] /.test(label)) violations.push({ kind: "5xx answer", detail: `${n} × ${label}` });
    }
    const audit = await ledgerAuditCli(env);
    if (audit.code !== 0)
      violations.push({
        kind: "ledger audit (CLI) failed",
        detail: audit.out
          .split("\n")
          .filter((l) => /MISMATCH|UNBALANCED|PAYOUT|CONTRIBUTION|REFUND|PROVIDER/.test(l))
          .slice(0, 5)
          .join(" | "),
      });
    for (const r of roles)
      for (const line of r.uncaughtLines())
        violations.push({ kind: "uncaught error", detail: `${r.name}: ${line.slice(0, 300)}` });

    const [lost] = await owner.db.execute<{ n: string }>(
      sql`select count(*) as n from sandbox_events where last_error like 'lost (simulated%'`,
    );
    const operations: ChaosSummary["operations"] = {};
    for (const op of planned) operations[op.kind] ??= { planned: 0, ack: 0, refused: 0, noAnswer: 0 };
    for (const op of planned) (operations[op.kind] as { planned: number }).planned++;
    for (const x of outcomeList) {
      const row = operations[x.kind] as ChaosSummary["operations"][string];
      if (x.result === "ack") row.ack++;
      else if (x.result === "refused") row.refused++;
      else row.noAnswer++;
    }
    const unexpectedExits: Record<string, number> = {};
    for (const r of roles) {
      const kind = r.name.startsWith("web") ? "web" : r.name.startsWith("payout") ? "payout" : "worker";
      unexpectedExits[kind] = (unexpectedExits[kind] ?? 0) + r.unexpectedExits;
    }
    let planted: Violation[] = [];
    if (o.plant?.length) {
      await plantBugs(owner.db, o.plant, outcomeList);
      planted = await auditRun(owner.db, { outcomes: outcomeList, campaigns, clientKeys });
    }
    writeFileSync(path.join(o.dataDir, "roles.log"), roles.map((r) => `===== ${r.name}\n${r.output}`).join("\n"));
    await owner.sql.end({ timeout: 5 });
    stopping = true;
    return {
      seed: o.seed,
      seconds: Math.round((Date.now() - started) / 1000),
      operations,
      answers: Object.fromEntries([...stats.answers].sort((a, b) => b[1] - a[1])),
      retries: stats.retries,
      kills,
      restarts,
      unexpectedExits,
      lostWebhooks: Number(lost?.n ?? 0),
      payoutRuns,
      violations,
      planted,
    };
  } finally {
    await Promise.all(roles.map((r) => r.stop()));
    await front?.close();
    await pg.stop();
    if (!o.keep) cleanDataDir(o.dataDir);
  }
}

/** Plant the bugs `plants` names (ChaosOptions.plant) in the run's settled database, as the owner. */
async function plantBugs(db: ReturnType<typeof openDb>["db"], plants: Plant[], outcomes: Outcome[]): Promise<void> {
  const paid = outcomes.filter((x) => x.kind === "contribution" && x.result === "ack" && x.state === "succeeded" && x.id);
  const [first, second, third] = paid;
  if (!first || !second || !third) throw new Error("planting bugs needs three acknowledged paid contributions");
  if (plants.includes("skip-event")) {
    await db.execute(sql`update campaigns c set collected_amount = c.collected_amount - x.amount + x.refunded_amount,
      contribution_count = c.contribution_count - 1 from contributions x where x.id = ${first.id} and c.id = x.campaign_id`);
  }
  if (plants.includes("lose-ack")) {
    await db.execute(sql`update idempotency_keys set contribution_id = null where contribution_id = ${second.id}`);
  }
  if (plants.includes("double-charge")) {
    await db.execute(sql`insert into sandbox_payments (id, idempotency_key, amount, currency, status, payment_method, metadata)
      select 'pi_planted_' || md5(random()::text), 'planted-' || md5(random()::text), amount, currency, status, payment_method, metadata
      from sandbox_payments where metadata->>'contribution_id' = ${third.id}`);
  }
}

/** The environment of every role of a run: its own database, fast reconciliation, the sandbox's fault rates. */
function roleEnv(o: ChaosOptions, ownerUrl: string, appUrl: string, frontUrl: string): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"];
  const env = Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
  return {
    ...env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: ownerUrl,
    DATABASE_APP_URL: appUrl,
    DATA_DIR: path.join(o.dataDir, "app"),
    NEXTAUTH_SECRET: AUTH_SECRET,
    NEXTAUTH_URL: frontUrl,
    CRON_SECRET,
    LOG_LEVEL: "warn",
    SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SANDBOX_WEBHOOK_URL: `${frontUrl}/api/webhooks/stripe`,
    SANDBOX_PENDING_MS: "1500",
    SANDBOX_LOSE_ANSWER_RATE: String(o.loseRate),
    SANDBOX_LOSE_WEBHOOK_RATE: String(o.loseRate),
    // Reconciliation within seconds, not minutes, so a run settles quickly after its last operation.
    PAYMENT_RECONCILE_SCHEDULE: "*/3 * * * * *",
    PAYMENT_RECONCILE_AFTER_SECONDS: "3",
    PAYOUT_RECONCILE_SCHEDULE: "*/5 * * * * *",
    PAYOUT_HOLD_HOURS: "0",
    RATE_LIMIT_MAX: "100000000",
    CARD_DECLINES_MAX_PER_USER: "1000000",
    CARD_DECLINES_MAX_PER_IP: "1000000",
    CARD_DECLINES_MAX_PER_CARD: "1000000",
  };
}

/** Users (creators and donors) with API tokens and flaky sandbox payout accounts, and active campaigns. */
async function setUp(
  db: ReturnType<typeof openDb>["db"],
  base: string,
  o: ChaosOptions,
  rng: ReturnType<typeof rngOf>,
): Promise<{ campaigns: CampaignRef[]; donorTokens: string[] }> {
  const creators = Math.max(1, Math.ceil(o.campaigns / 4));
  const user = async (email: string) => {
    const [u] = await db.execute<{ id: string }>(
      sql`insert into users (id, email, name) values (gen_random_uuid(), ${email}, ${email.split("@")[0]}) returning id`,
    );
    return (await createApiToken(db, { userId: u?.id as string, name: "chaos" })).token;
  };
  const creatorTokens: string[] = [];
  for (let i = 0; i < creators; i++) creatorTokens.push(await user(`creator${i}@chaos.test`));
  const donorTokens: string[] = [];
  for (let i = 0; i < o.donors; i++) donorTokens.push(await user(`donor${i}@chaos.test`));
  const call = async (path: string, method: string, token: string, json?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const body = (await r.json()) as Record<string, unknown>;
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(body)}`);
    return body;
  };
  for (const t of creatorTokens) await call("/api/me/payout-account", "POST", t);
  await db.execute(sql`update sandbox_accounts set behavior = 'flaky'`);
  const campaigns: CampaignRef[] = [];
  for (let index = 0; index < o.campaigns; index++) {
    const creatorToken = creatorTokens[index % creators] as string;
    const currency = pick(rng, CURRENCIES);
    const c = await call("/api/campaigns", "POST", creatorToken, {
      title: `Chaos campaign ${index}`,
      story: "A campaign the chaos harness gives to, refunds and edits while it kills the app.",
      goalAmount: 10_000_000,
      currency,
    });
    await call(`/api/campaigns/${c.id}`, "PATCH", creatorToken, { status: "active" });
    campaigns.push({ id: c.id as string, index, currency, creatorToken });
  }
  return { campaigns, donorTokens };
}

/**
 * Wait until nothing is in flight (chaos/audit.ts `inFlight`), asking the reconciliation route now and then as a
 * cron would, and finishing open payouts with `payouts reconcile`. `ok: false` with what was left after `timeoutMs`.
 */
async function settle(
  db: ReturnType<typeof openDb>["db"],
  base: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<{ ok: boolean; left: Record<string, number> }> {
  const until = Date.now() + timeoutMs;
  let left: Record<string, number> = {};
  let lastSaid = 0;
  while (Date.now() < until) {
    left = await inFlight(db).catch(() => ({ "database unreachable": 1 }));
    const busy = Object.entries(left).filter(([, n]) => n > 0);
    if (busy.length === 0) return { ok: true, left };
    if (Date.now() - lastSaid > 5_000) {
      lastSaid = Date.now();
      say(`  settling: ${busy.map(([k, n]) => `${n} ${k}`).join(", ")}`);
    }
    if ((left["open payouts"] ?? 0) > 0) {
      await new RoleProcess("payout reconcile", ["--import", "tsx", "scripts/cli.ts", "payouts", "reconcile"], env).start();
    }
    await fetch(`${base}/api/cron/reconcile`, { headers: { authorization: `Bearer ${CRON_SECRET}` } }).catch(() => {});
    await sleep(1_000);
  }
  return { ok: false, left };
}

async function ledgerAuditCli(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const r = new RoleProcess("ledger audit", ["--import", "tsx", "scripts/cli.ts", "ledger", "audit"], env);
  const code = await r.start();
  return { code, out: r.output };
}

/** The run's data dir removed, with its cluster (as root, the relocated cluster it points to). */
function cleanDataDir(dataDir: string) {
  const relocated = relocatedClusterDir(path.join(dataDir, "pg"));
  if (existsSync(relocated)) rmSync(relocated, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
