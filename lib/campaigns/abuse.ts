import { type SQL, sql } from "drizzle-orm";
import { validate as isUuid } from "uuid";
import type { Db } from "@/db/client";
import { AppError } from "@/lib/errors";
import type { PaymentProvider } from "@/lib/payments/provider";
import { refundContribution } from "@/lib/payments/refunds";

/**
 * The close-for-abuse job (docs/payouts.md, "Closing a campaign for abuse"). Once an admin has closed a
 * campaign for abuse (`closeCampaignForAbuse` in ./index: the intent is on the campaign row), this job
 * refunds, in full, every contribution that still has money on it: paid, not fully refunded, not under an
 * open dispute. Each refund goes through `refundContribution` with `actor: null` and the idempotency key
 * `abuse:<contributionId>`, so the job can be killed at any point and run again: a refund already recorded
 * is replayed (and sent to the provider if it never was), never made twice. Contributions are read by
 * keyset pages on their ID, so a campaign with a million contributions runs in constant memory.
 */

/** The idempotency key of the job's refund of a contribution: one refund per contribution, ever. */
export const abuseRefundKey = (contributionId: string) => `abuse:${contributionId}`;

/** What the job has done so far, as `onProgress` and the summary report it. */
export interface AbuseRefundProgress {
  campaignId: string;
  currency: string;
  /** Contributions the job refunds in all: those it refunded (in earlier runs too) plus those left. */
  total: number;
  /** Contributions with a refund from the job (earlier runs included). */
  refunded: number;
  /** Refunded by this run: how many, and how much (minor units of `currency`). */
  refundedNow: number;
  amountNow: number;
  /** Refunds the provider refused (they keep their money on the frozen campaign: an operator follows up). */
  failed: number;
  /** Refunds recorded but not yet answered by the provider (unreachable): sent again by the next run. */
  unanswered: number;
  /** Contributions under an open dispute, left until the dispute closes (a won one is refunded then). */
  disputed: number;
  /** Contributions the configured provider cannot refund (paid through another provider). */
  otherProvider: number;
  elapsedMs: number;
}

export interface AbuseRefundSummary extends AbuseRefundProgress {
  /** Nothing is left for the job but disputed contributions and refusals: running it again does nothing. */
  complete: boolean;
}

export interface AbuseRefundOptions {
  /** Contributions read per page (default 100). */
  batchSize?: number;
  /** At most this many provider calls a second (default: no limit). Stripe allows 100/s in live mode. */
  maxPerSecond?: number;
  /** Called after each page. */
  onProgress?: (p: AbuseRefundProgress) => void;
  /** Stops after the refund in progress (the rest is left for the next run). */
  signal?: AbortSignal;
}

/**
 * The contributions of campaign `campaignId` (an ID, or a column of an outer query) the job still has to act on: those with money and no refund of the
 * job yet (not under an open dispute), and those whose job refund was recorded but never answered.
 */
const todo = (campaignId: string | SQL) => sql`
  c.campaign_id = ${campaignId} and (
    (c.status in ('succeeded', 'partially_refunded') and c.refunded_amount < c.amount
      and not exists (select 1 from refunds r where r.idempotency_key = 'abuse:' || c.id::text)
      and not exists (select 1 from disputes d where d.contribution_id = c.id and d.outcome is null))
    or exists (select 1 from refunds r where r.idempotency_key = 'abuse:' || c.id::text
      and r.status = 'pending' and r.provider_refund_id is null))`;

/**
 * Refund in full what remains of every contribution of campaign `campaignId`, closed for abuse before
 * (docs/payouts.md). Resumable and idempotent (see above); safe to run in several processes at once (a
 * contribution's refund is made under its row lock: the second process finds nothing left). Progress is
 * reported after each page; amounts are minor units of the campaign's currency. A refund the provider
 * refuses is counted as failed and not retried (the money stays on the frozen campaign).
 * Throws CAMPAIGN_NOT_FOUND (unknown ID), CAMPAIGN_NOT_CLOSED_FOR_ABUSE (never closed for abuse).
 */
export async function closeForAbuseRefunds(
  db: Db,
  provider: PaymentProvider,
  campaignId: string,
  opts: AbuseRefundOptions = {},
): Promise<AbuseRefundSummary> {
  const started = Date.now();
  if (!isUuid(campaignId)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  const [campaign] = await db.execute<{ currency: string; closed: boolean; reason: string | null }>(sql`
    select currency, closed_for_abuse_at is not null as closed, closed_for_abuse_reason as reason
    from campaigns where id = ${campaignId}`);
  if (!campaign) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  if (!campaign.closed)
    throw new AppError("CAMPAIGN_NOT_CLOSED_FOR_ABUSE", "This campaign was not closed for abuse: close it first");
  // The same request each time (the key's request hash covers it): a re-run replays, never refuses.
  const input = { reason: `Campaign closed for abuse: ${campaign.reason ?? ""}`.slice(0, 500) };
  const batchSize = Math.max(1, opts.batchSize ?? 100);
  const minGapMs = opts.maxPerSecond ? 1000 / opts.maxPerSecond : 0;

  const [counts] = await db.execute<{ done: number; left: number }>(sql`
    select (select count(*)::int from refunds r where r.campaign_id = ${campaignId} and r.idempotency_key like 'abuse:%'
              and not (r.status = 'pending' and r.provider_refund_id is null)) as done,
           (select count(*)::int from contributions c where ${todo(campaignId)}) as left`);
  const p: AbuseRefundProgress = {
    campaignId,
    currency: campaign.currency,
    total: (counts?.done ?? 0) + (counts?.left ?? 0),
    refunded: counts?.done ?? 0,
    refundedNow: 0,
    amountNow: 0,
    failed: 0,
    unanswered: 0,
    disputed: 0,
    otherProvider: 0,
    elapsedMs: 0,
  };

  let cursor: string | null = null;
  let lastCall = 0;
  let stopped = false;
  for (;;) {
    const page: { id: string }[] = await db.execute<{ id: string }>(sql`
      select c.id from contributions c
      where ${todo(campaignId)} ${cursor ? sql`and c.id > ${cursor}` : sql``}
      order by c.id limit ${batchSize}`);
    for (const { id } of page) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      cursor = id;
      const wait = lastCall + minGapMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastCall = Date.now();
      try {
        const r = await refundContribution(db, { provider }, { actor: null, contributionId: id, key: abuseRefundKey(id), input });
        p.refunded++;
        if (!r.replayed) {
          p.refundedNow++;
          p.amountNow += r.body.amount;
        }
        if (r.body.status === "failed") p.failed++;
        else if (r.body.status === "pending") {
          const [sent] = await db.execute<{ sent: boolean }>(
            sql`select provider_refund_id is not null as sent from refunds where id = ${r.body.id}`,
          );
          if (!sent?.sent) {
            p.unanswered++;
            p.refunded--; // counted again when a later run gets its answer
          }
        }
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        // A dispute opened, another refund took the rest, or another process refunded it meanwhile.
        if (err.code === "PROVIDER_MISMATCH") p.otherProvider++;
        else if (!["CONTRIBUTION_DISPUTED", "REFUND_EXCEEDS_CONTRIBUTION", "CONTRIBUTION_NOT_REFUNDABLE"].includes(err.code))
          throw err;
        p.total--;
      }
    }
    p.elapsedMs = Date.now() - started;
    opts.onProgress?.({ ...p });
    if (stopped || page.length < batchSize) break;
  }

  const [left] = await db.execute<{ disputed: number; left: number }>(sql`
    select (select count(*)::int from contributions c where c.campaign_id = ${campaignId}
              and c.status in ('succeeded', 'partially_refunded') and c.refunded_amount < c.amount
              and not exists (select 1 from refunds r where r.idempotency_key = 'abuse:' || c.id::text)
              and exists (select 1 from disputes d where d.contribution_id = c.id and d.outcome is null)) as disputed,
           (select count(*)::int from contributions c where ${todo(campaignId)}) as left`);
  p.disputed = left?.disputed ?? 0;
  p.elapsedMs = Date.now() - started;
  return { ...p, complete: !stopped && (left?.left ?? 0) <= p.otherProvider };
}

/**
 * The scheduler's pass (lib/payouts/scheduler.ts, on the reconcile schedule): run the job for each campaign
 * closed for abuse that still has contributions to refund, at most `limit` campaigns (default 20) per pass.
 * Cheap when there are none: one query on a partial index of campaigns closed for abuse. Returns the
 * summaries of the campaigns it ran.
 */
export async function refundClosedCampaigns(
  db: Db,
  provider: PaymentProvider,
  opts: { limit?: number; batchSize?: number } = {},
): Promise<AbuseRefundSummary[]> {
  const rows = await db.execute<{ id: string }>(sql`
    select cp.id from campaigns cp
    where cp.closed_for_abuse_at is not null
      and exists (select 1 from contributions c where ${todo(sql.raw("cp.id"))})
    order by cp.id limit ${opts.limit ?? 20}`);
  const out: AbuseRefundSummary[] = [];
  for (const { id } of rows) out.push(await closeForAbuseRefunds(db, provider, id, { batchSize: opts.batchSize }));
  return out;
}
