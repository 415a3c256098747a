import { assertLeastPrivilege } from "@/db/app-role";
import { migrateDatabase } from "@/db/migrate";
import { authSecret } from "@/lib/auth/options";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import type { Role } from "@/lib/config";
import { startConsumers } from "@/lib/events";
import { onCampaignsChanged } from "@/lib/events/consumers";
import { startDigestJob } from "@/lib/mail/digest";
import { smtpTransport, startMailSender } from "@/lib/mail/sender";
import { startPartitionJob } from "@/lib/ops/partitions";
import { sandboxWebhookSecret, startSandboxDispatcher } from "@/lib/payments/sandbox";
import { describeBalances, sandboxBalancesUnder } from "@/lib/payouts/balances";
import { startPayoutScheduler } from "@/lib/payouts/scheduler";
import { databaseUrl, openAppDb, type Services } from "./index";

/**
 * The process roles (docs/architecture.md, "Process roles"), started from the composition root:
 * - `web`: serves HTTP (Next.js itself; nothing to start here);
 * - `consumers`: the event consumers (campaign totals, cache invalidation, mail) and the mail sender, on their own pools;
 * - `scheduler`: the daily payout run and its reconciliation (one runner across processes, by an advisory lock),
 *   the creators' daily mail digests, and the coming months' partitions (lib/ops/partitions.ts);
 * - `dispatcher`: the sandbox payment provider's webhook deliveries (only when Stripe is not configured).
 * Every background role may run in any number of processes at once: each is safe under concurrency.
 * Each start also warns, once, of sandbox money left in campaign accounts when payouts go through Stripe
 * (warnOfSandboxMoney).
 */
export interface RunningRoles {
  /** The roles actually started (the dispatcher is skipped when Stripe is configured). */
  roles: Role[];
  /** Stop every started role (hand partitions over, wait for a payout in progress); idempotent. */
  stop(): Promise<void>;
}

/**
 * Apply the migrations (under an advisory lock, so instances starting together take turns), then start
 * `roles` on `s`. Throws when the database cannot be reached or migrated; nothing is left running then.
 */
export async function startRoles(s: Services, roles: ReadonlySet<Role>): Promise<RunningRoles> {
  const c = s.config;
  // Migrations as the owner (DATABASE_URL); everything else as the least-privilege app role (appDatabase).
  await migrateDatabase(databaseUrl(c));
  const probe = openAppDb(c, 1);
  try {
    await assertLeastPrivilege(probe.db);
  } finally {
    await probe.sql.end({ timeout: 5 });
  }
  // In the background: a start never waits for (nor fails on) this look at the ledger.
  void warnOfSandboxMoney(s);
  const stops: (() => Promise<void>)[] = [];
  const started: Role[] = roles.has("web") ? ["web"] : [];
  const pool = (max: number) => {
    const p = openAppDb(c, max);
    stops.push(() => p.sql.end({ timeout: 5 }));
    return p.db;
  };
  try {
    if (roles.has("consumers")) {
      onCampaignsChanged("campaign-cache", invalidateCampaigns); // drops L2 entries and tells every web instance
      const runtime = await startConsumers(pool(4), c);
      stops.push(() => runtime.stop());
      started.push("consumers");
      s.log.info({ transport: c.EVENT_TRANSPORT, worker: runtime.workerId }, "event consumers running");
      // The mail sender beside them (lib/mail/sender.ts): any number of processes share the queue.
      stops.push(startMailSender({ db: pool(2), transport: smtpTransport(c), from: c.MAIL_FROM, log: s.log }));
      s.log.info({ smtp: Boolean(c.SMTP_URL) }, c.SMTP_URL ? "mail sender running" : "mail kept for /admin/mail (no SMTP_URL)");
    }
    if (roles.has("scheduler")) {
      const scheduled = pool(3);
      stops.push(startPayoutScheduler(scheduled, c, s.log));
      stops.push(startDigestJob(scheduled, c, s.log)); // creators' daily digests (lib/mail/digest.ts)
      stops.push(startPartitionJob(scheduled, s.log)); // at start and daily (docs/partitioning.md)
      started.push("scheduler");
      s.log.info({ schedule: c.PAYOUT_SCHEDULE, timezone: c.PAYOUT_TIMEZONE }, "payout scheduler running");
    }
    if (roles.has("dispatcher") && !c.STRIPE_SECRET_KEY) {
      stops.push(
        startSandboxDispatcher(pool(2), {
          url: c.SANDBOX_WEBHOOK_URL ?? `http://127.0.0.1:${c.PORT}/api/webhooks/stripe`,
          secret: sandboxWebhookSecret(c.SANDBOX_WEBHOOK_SECRET, authSecret(c)),
          loseRate: c.SANDBOX_LOSE_WEBHOOK_RATE,
          log: (msg, extra) => s.log.warn(extra ?? {}, msg),
        }),
      );
      started.push("dispatcher");
    }
  } catch (err) {
    await stopAll(stops);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    roles: started,
    stop: () => {
      stopping ??= stopAll(stops);
      return stopping;
    },
  };
}

/**
 * Log one warning when campaigns hold sandbox money while the payout provider is another one (Stripe):
 * that money is never paid out (docs/payouts.md, "Provider separation"), so an operator who switched from
 * the sandbox should know it is there, how much, and in how many campaigns. On its own one-connection pool,
 * closed when done; a failure is logged, never thrown.
 */
export async function warnOfSandboxMoney(s: Services): Promise<void> {
  const { sql, db } = openAppDb(s.config, 1);
  try {
    const b = await sandboxBalancesUnder(db, s.payouts.provider.name);
    if (b) {
      s.log.warn(
        { provider: s.payouts.provider.name, sandboxCampaigns: b.campaigns, sandboxAmounts: b.amounts },
        `sandbox money in campaign accounts: ${describeBalances(b)}; payouts through ${s.payouts.provider.name} never pay it (docs/payouts.md, "Provider separation")`,
      );
    }
  } catch (err) {
    s.log.error({ err }, "could not look for sandbox money in campaign accounts");
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Stop in reverse order of start (the pools last), each even if an earlier one failed. */
async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of [...stops].reverse()) await stop().catch(() => {});
}
