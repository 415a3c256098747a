/**
 * `npm run cli -- <area> <command> [flags]`: operator commands.
 * Works against DATABASE_URL, or the embedded default: it reuses the embedded
 * PostgreSQL of a running `npm start`, or starts it for the command and stops it after.
 *
 *   tokens create --email alice@example.com [--name "my script"]   prints the token as the last line
 *   tokens list   --email alice@example.com
 *   tokens revoke --email alice@example.com --id <token id>
 *   sessions revoke --email alice@example.com [--revoke-api-tokens] signs the user out of every browser (and tokens)
 *   ledger audit                                                  exits 1 on any mismatch or unbalanced entry
 *   payouts run [--date 2026-11-24] [--allow-future-cutoff]       the day's payouts (default: today in PAYOUT_TIMEZONE)
 *   payouts reconcile                                             submit open payouts, look up pending transfers
 *   payments reconcile                                            ask the provider about payments pending too long
 *   assets sweep [--older-than-hours 24] [--dry-run]              deletes stored objects no asset row points to
 *   sandbox refund --id <contribution> [--amount N]               a refund "in the sandbox's dashboard" (only webhooks tell the app)
 *   sandbox dispute-close --id <dp_…> --outcome won|lost           stands in for winning or losing evidence in Stripe test mode
 *   partitions ensure [--months-ahead 3]                          makes the coming months' partitions (docs/partitioning.md)
 *   partitions detach --table contributions|ledger_lines --month YYYY-MM [--min-age-days 400]
 *                                                                 detaches an old month (as the owner); refusals print CODE: why
 *   campaigns close-for-abuse --id <campaign> [--reason "<text>"] [--batch-size 100] [--max-rate <per s>]
 *                                                                 closes it (if not yet: --reason required), then refunds
 *                                                                 every contribution left; resumable (docs/payouts.md)
 */
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { validate as isUuid } from "uuid";
import { openAppDb } from "@/db/app-role";
import { type Db, openDb } from "@/db/client";
import { configuredDatabase } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { contributions } from "@/db/schema";
import { seedDemoUsers } from "@/db/seed";
import { assetStorage } from "@/lib/assets/storage";
import { sweepOrphans } from "@/lib/assets/sweep";
import { signOutEverywhere } from "@/lib/auth/sign-out";
import { createApiToken, listApiTokens, revokeApiToken } from "@/lib/auth/tokens";
import { closeCampaignForAbuse, getCampaign } from "@/lib/campaigns";
import { type AbuseRefundProgress, closeForAbuseRefunds } from "@/lib/campaigns/abuse";
import { closeForAbuseSchema } from "@/lib/campaigns/schemas";
import { ConfigError, config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { auditLedger } from "@/lib/ledger/audit";
import { formatMoney } from "@/lib/money/currency";
import {
  DETACH_MIN_AGE_DAYS,
  detachPartition,
  ensurePartitions,
  PARTITION_MONTHS_AHEAD,
  PartitionError,
} from "@/lib/ops/partitions";
import { createContributeDeps, paymentProvider } from "@/lib/payments";
import type { PaymentProvider } from "@/lib/payments/provider";
import { reconcilePayments } from "@/lib/payments/reconcile";
import { sandboxDashboardRefund, closeSandboxDispute as sandboxDisputeClose } from "@/lib/payments/sandbox";
import { createPayoutSettings } from "@/lib/payouts";
import { type Progress, type RunSummary, reconcilePayouts, runPayouts, todayIn } from "@/lib/payouts/run";
import { findUserByEmail, type PublicUser } from "@/lib/users";

/** The operator, seeing campaigns as an admin does (drafts included). */
const SYSTEM_ADMIN = { id: "00000000-0000-0000-0000-000000000000", role: "admin" } as PublicUser;

const USAGE = `usage: npm run cli -- tokens create --email <email> [--name <name>]
       npm run cli -- tokens list --email <email>
       npm run cli -- tokens revoke --email <email> --id <token id>
       npm run cli -- sessions revoke --email <email> [--revoke-api-tokens]
       npm run cli -- ledger audit
       npm run cli -- payouts run [--date YYYY-MM-DD] [--allow-future-cutoff]
       npm run cli -- payouts reconcile
       npm run cli -- payments reconcile
       npm run cli -- partitions ensure [--months-ahead ${PARTITION_MONTHS_AHEAD}]
       npm run cli -- partitions detach --table contributions|ledger_lines --month YYYY-MM [--min-age-days ${DETACH_MIN_AGE_DAYS}]

       npm run cli -- assets sweep [--older-than-hours 24] [--dry-run]
       npm run cli -- sandbox refund --id <contribution id> [--amount <minor units>]
       npm run cli -- sandbox dispute-close --id <dispute id> --outcome won|lost
       npm run cli -- campaigns close-for-abuse --id <campaign> [--reason <text>] [--batch-size 100] [--max-rate <per second>]`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Throw, so that `finally` still stops an embedded PostgreSQL this command started. */
function fail(msg: string, code = 2): never {
  throw new CliError(msg, code);
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      email: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      date: { type: "string" },
      "allow-future-cutoff": { type: "boolean" },
      help: { type: "boolean" },
      "older-than-hours": { type: "string", default: "24" },
      "dry-run": { type: "boolean" },
      amount: { type: "string" },
      outcome: { type: "string" },
      reason: { type: "string" },
      "batch-size": { type: "string", default: "100" },
      "max-rate": { type: "string" },
      "months-ahead": { type: "string" },
      table: { type: "string" },
      month: { type: "string" },
      "min-age-days": { type: "string" },
      "revoke-api-tokens": { type: "boolean" },
    },
  });
  const [area, command] = positionals;
  const known =
    (area === "tokens" && ["create", "list", "revoke"].includes(command ?? "")) ||
    (area === "sessions" && command === "revoke") ||
    (area === "ledger" && command === "audit") ||
    (area === "payouts" && ["run", "reconcile"].includes(command ?? "")) ||
    (area === "payments" && command === "reconcile") ||
    (area === "assets" && command === "sweep") ||
    (area === "partitions" && ["ensure", "detach"].includes(command ?? "")) ||
    (area === "sandbox" && ["refund", "dispute-close"].includes(command ?? "")) ||
    (area === "campaigns" && command === "close-for-abuse");
  if (values.help || !known) fail(USAGE);

  let c: ReturnType<typeof config>;
  try {
    c = config();
  } catch (e) {
    fail(e instanceof ConfigError ? e.message : String(e), 1);
  }
  const { url, embedded } = await configuredDatabase(c, (m) => console.log(`[db] ${m}`));
  // Migrations as the owner; the commands as the least-privilege app role, as the app's own pools do.
  const { sql, db } = openAppDb(c, 2, url);
  try {
    await migrateDatabase(url);
    if (embedded) await seedDemoUsers(db); // the embedded default always has its demo users
    if (area === "ledger") {
      const ok = await printAudit(db);
      if (!ok) throw new CliError("ledger audit FAILED", 1);
      return;
    }
    if (area === "payouts") {
      const s = createPayoutSettings(db, c);
      const onProgress = progressPrinter();
      // A refused run (PAYOUT_DATE_INVALID, PAYOUT_CUTOFF_NOT_REACHED, PAYOUT_RUN_IN_PROGRESS) reaches the
      // handler at the bottom, which prints CODE: message and exits 1.
      let summary: RunSummary;
      if (command === "run") {
        const date = values.date ?? todayIn(c.PAYOUT_TIMEZONE);
        console.log(
          `payouts for ${date} (cut-off 00:00 ${c.PAYOUT_TIMEZONE}, minimum ${s.minimum}, provider ${s.provider.name})`,
        );
        summary = await runPayouts(db, s, { date, allowFutureCutoff: values["allow-future-cutoff"], onProgress });
      } else {
        console.log(`reconciling open payouts (provider ${s.provider.name})`);
        summary = await reconcilePayouts(db, s, { onProgress });
      }
      printPayoutSummary(summary);
      return;
    }
    if (area === "payments") {
      const deps = createContributeDeps(db, c);
      console.log(
        `reconciling payments pending over ${c.PAYMENT_RECONCILE_AFTER_SECONDS} s (provider ${deps.provider.name}; waiting for the payer over ${c.PAYMENT_ACTION_TIMEOUT_SECONDS} s: canceled)`,
      );
      const summary = await reconcilePayments(db, deps, {
        onProgress: (p) => console.log(`  ${p.checked} checked, ${p.settled} settled, ${p.stillPending} still pending…`),
        onError: (id, err) => console.error(`  contribution ${id}: ${err instanceof Error ? err.message : String(err)}`),
      });
      console.log(
        `${summary.checked} checked: ${summary.settled} settled, ${summary.canceled} canceled, ${summary.notStarted} never started, ${summary.stillPending} still pending, ${summary.providerUnavailable} provider unavailable, ${summary.errors} errors`,
      );
      return;
    }
    if (area === "partitions") {
      await partitionsCommand(db, url, command, values);
      return;
    }
    if (area === "campaigns") {
      await closeForAbuse(db, paymentProvider(db, c), values);
      return;
    }
    if (area === "assets") {
      const hours = Number(values["older-than-hours"]);
      if (!(hours >= 1)) fail(`--older-than-hours must be at least 1\n${USAGE}`);
      const r = await sweepOrphans(db, assetStorage(), { olderThanMs: hours * 3_600_000, dryRun: values["dry-run"] });
      for (const k of r.orphans) console.log(`${values["dry-run"] ? "would delete" : "deleted"} ${k}`);
      console.log(
        `${r.scanned} objects scanned, ${r.orphans.length} without an asset row older than ${hours} h${values["dry-run"] ? " (dry run)" : ""}`,
      );
      return;
    }
    if (area === "sandbox") {
      await sandboxCommand(db, command, values);
      return;
    }
    if (!values.email) fail(`--email is required\n${USAGE}`);
    const user = await findUserByEmail(db, values.email);
    if (!user) fail(`no user with email ${values.email}`, 1);

    if (area === "sessions") {
      const revokeApiTokens = values["revoke-api-tokens"] === true;
      const done = await signOutEverywhere(db, c, { user, revokeApiTokens, by: "operator" });
      console.log(
        `signed ${user.email} out of every browser session; ${revokeApiTokens ? `${done.apiTokensRevoked} API token${done.apiTokensRevoked === 1 ? "" : "s"} revoked` : "API tokens are unchanged"}; the user is emailed`,
      );
    } else if (command === "create") {
      const { token, info } = await createApiToken(db, { userId: user.id, name: values.name ?? "cli" });
      console.log(`created token ${info.id} ("${info.name}") for ${user.email}; it is shown once:`);
      console.log(token);
    } else if (command === "list") {
      for (const t of await listApiTokens(db, user.id)) {
        console.log(
          `${t.id}  ${t.prefix}…  ${t.name}  ${t.revokedAt ? "revoked" : "active"}  created ${t.createdAt.toISOString()}`,
        );
      }
    } else if (command === "revoke") {
      if (!values.id) fail(`--id is required\n${USAGE}`);
      const t = await revokeApiToken(db, { userId: user.id, tokenId: values.id });
      console.log(`revoked ${t.id}`);
    } else {
      fail(USAGE);
    }
  } finally {
    await sql.end();
    await embedded?.stop();
  }
}

/**
 * What a provider's dashboard and its dispute evidence do, for the sandbox: the app hears of it only through
 * the signed webhooks the sandbox then delivers (a running app's dispatcher sends them).
 */
async function sandboxCommand(db: Db, command: string | undefined, values: { id?: string; amount?: string; outcome?: string }) {
  if (!values.id) fail(`--id is required\n${USAGE}`);
  if (command === "refund") {
    const amount = values.amount === undefined ? undefined : Number(values.amount);
    if (amount !== undefined && !(Number.isSafeInteger(amount) && amount > 0))
      fail(`--amount must be a positive integer (minor units)\n${USAGE}`);
    const [c] = isUuid(values.id) ? await db.select().from(contributions).where(eq(contributions.id, values.id)) : [];
    if (!c?.providerPaymentId || c.provider !== "sandbox") fail(`no sandbox contribution ${values.id}`, 1);
    const r = await sandboxDashboardRefund(db, c.providerPaymentId, amount);
    if (r.status === "failed") fail(`the sandbox refused: ${r.failureCode}`, 1);
    console.log(
      `sandbox refund ${r.id}: ${formatMoney(r.amount, r.currency)} of ${c.providerPaymentId} (${r.status}); the webhooks follow`,
    );
    return;
  }
  if (values.outcome !== "won" && values.outcome !== "lost") fail(`--outcome must be won or lost\n${USAGE}`);
  const d = await sandboxDisputeClose(db, values.id, values.outcome).catch((e: unknown) =>
    fail(e instanceof Error ? e.message : String(e), 1),
  );
  console.log(`sandbox dispute ${d.id} closed ${d.status}; the webhooks follow`);
}

/**
 * campaigns close-for-abuse: record the decision (as the platform: no user) unless the campaign is closed for
 * abuse already, then run the refund job in the foreground, a progress line per page. Exits 0 when nothing is
 * left but disputed contributions, 1 when a run is needed again (unanswered refunds). Ctrl-C stops after the
 * refund in progress; a kill at any point is safe too: run the command again to finish.
 */
async function closeForAbuse(
  db: Db,
  provider: PaymentProvider,
  values: { id?: string; reason?: string; "batch-size"?: string; "max-rate"?: string },
) {
  if (!values.id) fail(`--id is required\n${USAGE}`);
  const batchSize = Number(values["batch-size"]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    fail(`--batch-size must be an integer from 1 to 10000\n${USAGE}`);
  const maxPerSecond = values["max-rate"] === undefined ? undefined : Number(values["max-rate"]);
  if (maxPerSecond !== undefined && !(maxPerSecond > 0)) fail(`--max-rate must be a positive number\n${USAGE}`);
  const campaign = await getCampaign(db, values.id, SYSTEM_ADMIN).catch((err) => {
    throw err instanceof AppError ? new CliError(`${err.code}: ${err.message}`, 1) : err;
  });
  if (campaign.closedForAbuse) {
    console.log(`campaign ${campaign.id} ("${campaign.title}") is closed for abuse already: resuming its refunds`);
  } else {
    const parsed = closeForAbuseSchema.safeParse({ reason: values.reason ?? "" });
    if (!parsed.success) fail(`--reason is required to close a campaign (3 to 1,000 characters)\n${USAGE}`);
    await closeCampaignForAbuse(db, null, campaign.id, parsed.data);
    console.log(`campaign ${campaign.id} ("${campaign.title}") closed for abuse: ended, payouts frozen`);
  }
  const stop = new AbortController();
  process.once("SIGINT", () => {
    console.log("stopping after the refund in progress (run the command again to finish)…");
    stop.abort();
  });
  const line = (p: AbuseRefundProgress) => {
    const secs = Math.max(p.elapsedMs, 1) / 1000;
    return `refunded ${p.refunded} / ${p.total}, ${formatMoney(p.amountNow, p.currency)} this run, ${(p.refundedNow / secs).toFixed(1)} refunds/s`;
  };
  const s = await closeForAbuseRefunds(db, provider, campaign.id, {
    batchSize,
    maxPerSecond,
    signal: stop.signal,
    onProgress: (p) => console.log(`  ${line(p)}`),
  });
  console.log(line(s));
  if (s.disputed) console.log(`${s.disputed} contributions under an open dispute: refunded by a later run if the dispute is won`);
  if (s.failed) console.log(`${s.failed} refunds refused by the provider: their money stays frozen on the campaign`);
  if (s.otherProvider) console.log(`${s.otherProvider} contributions paid through another provider: refund them there`);
  if (s.unanswered) console.log(`${s.unanswered} refunds got no answer from the provider: they are sent again by the next run`);
  if (!s.complete) throw new CliError("close-for-abuse stopped early: run it again to finish", 1);
  console.log("close-for-abuse complete");
}

async function printAudit(db: Parameters<typeof auditLedger>[0]): Promise<boolean> {
  console.log("auditing the ledger against contributions, refunds, disputes and payouts…");
  const r = await auditLedger(db);
  for (const c of r.campaigns) {
    const m = (n: number) => formatMoney(n, c.currency);
    console.log(
      `${c.ok ? "ok      " : "MISMATCH"} campaign ${c.campaignId}  paid ${m(c.paidSum)} (${c.paidCount})  ledger ${m(c.ledgerCollected)} (${c.ledgerCount})  fees ${m(c.ledgerFees)}  net ${m(c.netSum)} (${c.countedCount})  displayed ${m(c.displayedTotal)} (${c.displayedCount})  held ${m(c.openDisputes)}${c.ok ? "" : `  differs: ${c.differences.join(", ")}`}`,
    );
  }
  for (const u of r.unbalancedEntries) console.log(`UNBALANCED entry ${u.entryId}: ${u.sum} ${u.currency}`);
  for (const p of r.payoutMismatches) console.log(`PAYOUT ${p.payoutId} of campaign ${p.campaignId} (${p.status}): ${p.problem}`);
  for (const x of r.contributionMismatches)
    console.log(`CONTRIBUTION ${x.contributionId} of campaign ${x.campaignId}: ${x.problem}`);
  for (const x of r.refundMismatches) console.log(`REFUND ${x.refundId} of campaign ${x.campaignId} (${x.status}): ${x.problem}`);
  for (const x of r.providerMismatches)
    console.log(`PROVIDER entry ${x.entryId} (${x.kind} ${x.reference}) names ${x.provider}, but ${x.problem}`);
  for (const x of r.checkpointMismatches)
    console.log(
      `CHECKPOINT mark ${x.markId} account ${x.accountId} (${x.provider}): stored ${x.stored}, its lines add up to ${x.lines}`,
    );
  for (const name of r.uncheckedPartitions)
    console.log(`UNCHECKED partition ${name}: lines written to it skip the ledger's checks (no ledger_lines_checked trigger)`);
  const bad = r.campaigns.filter((c) => !c.ok).length;
  if (r.totalsLagEvents > 0) {
    console.log(
      `note: the campaign-totals consumer is ${r.totalsLagEvents} events behind; a displayed figure may differ until it catches up`,
    );
  }
  console.log(
    `${r.campaigns.length} campaigns with money, ${bad} mismatched, ${r.unbalancedEntries.length} unbalanced entries, ${r.contributionMismatches.length} contribution mismatches, ${r.refundMismatches.length} refund mismatches, ${r.payoutMismatches.length} payout mismatches, ${r.providerMismatches.length} provider mismatches, ${r.checkpointMismatches.length} checkpoint mismatches, ${r.uncheckedPartitions.length} unchecked partitions: ${r.ok ? "ledger audit passed" : "ledger audit FAILED"}`,
  );
  return r.ok;
}

/**
 * `partitions ensure` (as the app role, as the scheduler does) and `partitions detach` (as the owner: DDL).
 * A refusal prints `CODE: message` and exits 1 (lib/ops/partitions.ts lists the codes).
 */
async function partitionsCommand(
  db: Db,
  ownerUrl: string,
  command: string | undefined,
  values: { "months-ahead"?: string; table?: string; month?: string; "min-age-days"?: string },
) {
  if (command === "ensure") {
    const ahead = Number(values["months-ahead"] ?? PARTITION_MONTHS_AHEAD);
    if (!Number.isInteger(ahead) || ahead < 0 || ahead > 36) fail(`--months-ahead must be an integer from 0 to 36\n${USAGE}`);
    const done = await ensurePartitions(db, ahead);
    for (const p of done) console.log(`${p.partition}: ${p.status}`);
    const blocked = done.filter((p) => p.status === "blocked");
    if (blocked.length > 0)
      throw new CliError(
        `PARTITION_BLOCKED: the default partition holds rows of ${blocked.map((p) => p.partition).join(", ")} (docs/partitioning.md)`,
        1,
      );
    return;
  }
  if (!values.table || !values.month) fail(`--table and --month are required\n${USAGE}`);
  const minAgeDays = values["min-age-days"] === undefined ? undefined : Number(values["min-age-days"]);
  const owner = openDb(ownerUrl, 1);
  try {
    const r = await detachPartition(owner.db, { table: values.table, month: values.month, minAgeDays });
    console.log(`detached ${r.partition} (${r.rows} rows): archive it (pg_dump -t ${r.partition}), then drop it`);
  } catch (err) {
    if (err instanceof PartitionError) throw new CliError(`${err.code}: ${err.message}`, 1);
    throw err;
  } finally {
    await owner.sql.end();
  }
}

/** Print progress at most once a second: a run over a million campaigns says what it is doing. */
function progressPrinter(): (p: Progress) => void {
  let last = 0;
  return ({ phase, summary: s }) => {
    if (Date.now() - last < 1000) return;
    last = Date.now();
    if (phase === "make") console.log(`  making payouts: ${s.seen} campaigns seen, ${s.created} payouts made`);
    else console.log(`  submitting: ${s.paid} paid, ${s.submitted} submitted, ${s.failed} failed, ${s.unknown} unanswered`);
  };
}

function printPayoutSummary(s: RunSummary) {
  if (s.date) {
    console.log(`campaigns seen: ${s.seen}`);
    console.log(`payouts made: ${s.created} (already made before: ${s.alreadyMade}; nothing due: ${s.nothingDue})`);
    const skipped = Object.entries(s.skipped).filter(([, n]) => n > 0);
    console.log(`skipped: ${skipped.length ? skipped.map(([why, n]) => `${n} ${why.replaceAll("_", " ")}`).join(", ") : "none"}`);
    if (s.otherProvider)
      console.log(`${s.otherProvider} campaigns hold money another payment provider collected: not paid through this one`);
  }
  for (const r of s.refused)
    console.log(`REFUSED payout ${r.payoutId} of campaign ${r.campaignId}: ${r.reason.replaceAll("_", " ")} (not sent)`);
  console.log(
    `transfers: ${s.paid} paid, ${s.submitted} submitted (awaiting the provider), ${s.failed} failed (credited back, retried next run)`,
  );
  if (s.unknown) console.log(`${s.unknown} transfers got no answer: they are looked up before any retry (next run or reconcile)`);
  for (const [currency, t] of Object.entries(s.amounts)) {
    const m = (n: number) => formatMoney(n, currency);
    console.log(`  ${currency}: made ${m(t.created)}, paid ${m(t.paid)}, failed ${m(t.failed)}`);
  }
  console.log(s.complete ? "payout run complete" : "payout run stopped early: run it again to finish");
}

main().then(
  () => process.exit(0),
  (err) => {
    // The same catalogue codes as the HTTP API; anything else is unexpected and printed as such.
    const msg =
      err instanceof CliError
        ? err.message
        : err instanceof AppError
          ? `${err.code}: ${err.message}`
          : `error: ${err instanceof Error ? err.message : String(err)}`;
    console.error(msg);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
