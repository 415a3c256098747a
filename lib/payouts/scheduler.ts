import { Cron } from "croner";
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { payoutRuns } from "@/db/schema";
import { refundClosedCampaigns } from "@/lib/campaigns/abuse";
import type { Config } from "@/lib/config";
import { AppError, isDatabaseUnavailable, unavailableCause } from "@/lib/errors";
import { createContributeDeps } from "@/lib/payments";
import { reconcilePayments } from "@/lib/payments/reconcile";
import { resumeRefunds } from "@/lib/payments/refunds";
import { createPayoutSettings } from ".";
import { type RunSummary, reconcilePayouts, runPayouts, todayIn } from "./run";

/**
 * The self-hosted trigger of the daily flush (docs/payouts.md): croner fires in
 * every instance, and the run's advisory lock lets one of them do the work
 * (the others log that a run is in progress). At start-up it catches up on
 * today's run if none finished yet (the app was down at the scheduled time).
 * The reconcile schedule also resends refunds left unanswered and runs the close-for-abuse job for the
 * campaigns closed for abuse that still have contributions to refund (lib/campaigns/abuse.ts).
 * PAYMENT_RECONCILE_SCHEDULE asks the provider about payments left pending (lib/payments/reconcile.ts): every
 * instance may run it; settling is idempotent.
 */
export function startPayoutScheduler(db: Db, c: Config, log: Logger): () => Promise<void> {
  const s = createPayoutSettings(db, c);
  const deps = createContributeDeps(db, c); // one client for every tick, like the payout settings
  const payments = deps.provider;
  const opts = { timezone: c.PAYOUT_TIMEZONE, protect: true };
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  /** A job's failure: the database down is a warning (the job runs again at its next time), anything else an error. */
  const failed = (err: unknown, msg: string, extra: object = {}) => {
    if (isDatabaseUnavailable(err)) log.warn({ ...extra, cause: unavailableCause(err) }, `${msg} (database unavailable)`);
    else log.error({ ...extra, err }, msg);
  };

  /** Run `fn` as job `what`; resolves "outage" when it failed because the database was unavailable. */
  const attempt = async (what: string, fn: () => Promise<RunSummary>): Promise<"done" | "outage" | "failed"> => {
    const p = fn().then(
      (summary) => {
        log.info({ summary }, `payouts: ${what} done`);
        // The guard stopped money that is not this provider's to send (./guard.ts): someone must look.
        if (summary.refused.length > 0) log.error({ refused: summary.refused }, `payouts: ${what} refused to send payouts`);
        return "done" as const;
      },
      (err) => {
        if (err instanceof AppError && err.code === "PAYOUT_RUN_IN_PROGRESS") {
          log.info(`payouts: ${what} skipped, ${err.message}`);
          return "done" as const;
        }
        failed(err, `payouts: ${what} failed`);
        return isDatabaseUnavailable(err) ? ("outage" as const) : ("failed" as const);
      },
    );
    running = p;
    return p;
  };
  const guard = (what: string, fn: () => Promise<RunSummary>) => async () => {
    await attempt(what, fn);
  };

  const runToday = () => runPayouts(db, s, { date: todayIn(c.PAYOUT_TIMEZONE) });
  const daily = guard("daily run", runToday);
  const paymentsJob = new Cron(c.PAYMENT_RECONCILE_SCHEDULE, opts, async () => {
    try {
      const summary = await reconcilePayments(db, deps, {
        onError: (contributionId, err) => failed(err, "payments: reconciling a payment failed", { contributionId }),
      });
      if (summary.checked > 0) log.info({ summary }, "payments: pending payments reconciled");
    } catch (err) {
      failed(err, "payments: reconciliation failed");
    }
  });
  const jobs = [
    paymentsJob,
    new Cron(c.PAYOUT_SCHEDULE, opts, daily),
    new Cron(
      c.PAYOUT_RECONCILE_SCHEDULE,
      opts,
      guard("reconcile", async () => {
        // Refunds asked for while the provider was unreachable are sent again here too.
        const resent = await resumeRefunds(db, payments, {
          onError: (refundId, err) => failed(err, "refunds: sending a refund failed", { refundId }),
        }).catch((err) => {
          failed(err, "refunds: resume failed");
          return 0;
        });
        if (resent > 0) log.info({ resent }, "refunds: pending refunds sent again");
        // Campaigns closed for abuse with contributions left to refund (one indexed query when there are none).
        await refundClosedCampaigns(db, payments).then(
          (done) => {
            for (const r of done)
              log.info(
                {
                  campaignId: r.campaignId,
                  refunded: r.refunded,
                  total: r.total,
                  refundedNow: r.refundedNow,
                  amountNow: r.amountNow,
                },
                "close-for-abuse: refunds made",
              );
          },
          (err) => failed(err, "close-for-abuse: refunds failed"),
        );
        return reconcilePayouts(db, s);
      }),
    ),
  ];

  // Catch up on today's run once, 5 s after start; while the database is unavailable, again with back-off
  // (up to a minute) until it answers, instead of waiting for tomorrow's schedule.
  const catchUpOnce = async (): Promise<"done" | "outage" | "failed"> => {
    try {
      const today = todayIn(c.PAYOUT_TIMEZONE);
      const [run] = await db.select().from(payoutRuns).where(eq(payoutRuns.payoutDate, today));
      return run?.finishedAt ? "done" : await attempt("daily run", runToday);
    } catch (err) {
      failed(err, "payouts: catch-up check failed");
      return isDatabaseUnavailable(err) ? "outage" : "failed";
    }
  };
  let catchUp: NodeJS.Timeout;
  const scheduleCatchUp = (delay: number) => {
    catchUp = setTimeout(async () => {
      if ((await catchUpOnce()) === "outage" && !stopped) scheduleCatchUp(Math.min(delay * 2, 60_000));
    }, delay);
    catchUp.unref();
  };
  scheduleCatchUp(5000);

  return async () => {
    stopped = true;
    clearTimeout(catchUp);
    for (const j of jobs) j.stop();
    // A run in progress is crash-safe: give it a moment to finish its batch, not the whole day.
    await Promise.race([running, new Promise((r) => setTimeout(r, 5000).unref())]);
  };
}
