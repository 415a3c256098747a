import { sql } from "drizzle-orm";
import pLimit from "p-limit";
import { v7 as uuidv7 } from "uuid";
import { type Db, poolOf } from "@/db/client";
import { payoutRuns, payouts } from "@/db/schema";
import type { CampaignStatus } from "@/lib/campaigns/schemas";
import { AppError } from "@/lib/errors";
import { appendEvents } from "@/lib/events/outbox";
import { accounts, type EntryInput, lockCampaignBalances, postEntries } from "@/lib/ledger";
import { completeCheckpoints, planCheckpoints, takeMark } from "./checkpoints";
import { type TransferRefusal, transferRefusal } from "./guard";
import { type PayoutHold, payoutHold } from "./hold";
import { type PayoutProvider, type ProviderTransfer, TransferOutcomeUnknownError } from "./provider";

/**
 * The daily flush (docs/payouts.md). A run for day D pays every campaign
 * the money that settled before D's cut-off (00:00 in the configured time zone)
 * and has not been paid yet, in two phases, each in keyset-paginated batches of
 * one short transaction:
 *
 * 1. make payouts: per campaign with a due amount ≥ the minimum and a usable
 *    payout account, a `pending` row, unique per (campaign, day), and in the same
 *    transaction the ledger entry campaign → creator payable;
 * 2. submit: every open payout (pending, or submitted and not yet paid) is sent
 *    to the provider with the payout ID as idempotency key, after recording the
 *    attempt; one whose answer was lost is looked up before it is ever sent again.
 *    Paid/submitted posts creator payable → provider; failed credits the campaign
 *    back, so the next day's run pays it again.
 *
 * Everything a run needs to resume is in the database, so a run killed at any
 * line and started again — any number of times — makes no second payout for a
 * (campaign, day) and skips none. A run pays only the money its provider collected (ledger entries of
 * `provider.name`): sandbox money stays where it is under Stripe, and the reverse (docs/payouts.md,
 * "Provider separation"); a guard re-checks each payout right before it is sent (./guard.ts). All runs (scheduler, cron route, CLI, any
 * instance) take one PostgreSQL advisory lock, so they never interleave.
 * Memory is one batch, whatever the number of campaigns.
 */

export interface PayoutSettings {
  provider: PayoutProvider;
  /** Smallest amount paid out, in minor units. */
  minimum: number;
  /** Contributions are payable once settled this many hours before the cut-off (PAYOUT_HOLD_HOURS). */
  holdHours: number;
  timeZone: string;
  batchSize: number;
  concurrency: number;
}

export interface CurrencyTotals {
  created: number;
  paid: number;
  failed: number;
}

export interface RunSummary {
  date: string;
  cutoff: string;
  /** Campaigns with a ledger balance looked at. */
  seen: number;
  /** Payouts this run made. */
  created: number;
  /** Campaigns that already had this day's payout (an earlier or interrupted run made it). */
  alreadyMade: number;
  /** Campaigns with nothing settled and unpaid before the cut-off. */
  nothingDue: number;
  /** Campaigns holding money another provider collected (not this run's to pay, whatever this provider owes). */
  otherProvider: number;
  /** Campaigns with money due that was not paid, by the reason payoutHold gives. */
  skipped: Record<PayoutHold, number>;
  /** Transfers: paid, in flight at the provider, refused, and calls whose answer was lost (retried later). */
  paid: number;
  submitted: number;
  failed: number;
  unknown: number;
  /**
   * Open payouts not sent (nor looked up) because the guard refused them: another provider's payout, or
   * money the sending provider did not collect. They stay as they are until an operator looks at them.
   */
  refused: { payoutId: string; campaignId: string; reason: TransferRefusal }[];
  amounts: Record<string, CurrencyTotals>;
  /** False when a deadline stopped the run between batches: run it again to finish. */
  complete: boolean;
  /**
   * The ledger marks of the make phase (./checkpoints.ts): `base`, whose checkpoints it added later lines to
   * (null: it read every line), and `target`, whose checkpoints it wrote (null: none).
   */
  checkpoint?: { base: number | null; target: number | null };
}

export type Progress = { phase: "make" | "submit"; summary: RunSummary };

export interface RunOptions {
  /** Payout day, YYYY-MM-DD. */
  date: string;
  /** Pay a day whose cut-off has not come yet (what settled until now; the rest waits for the next day). */
  allowFutureCutoff?: boolean;
  /** Stop between batches after this time (epoch ms), e.g. within a serverless function's limit. */
  deadline?: number;
  onProgress?: (p: Progress) => void;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isPayoutDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

function emptySummary(date: string, cutoff: string): RunSummary {
  return {
    date,
    cutoff,
    seen: 0,
    created: 0,
    alreadyMade: 0,
    nothingDue: 0,
    otherProvider: 0,
    skipped: { below_minimum: 0, no_payout_account: 0, payouts_disabled: 0, campaign_suspended: 0 },
    paid: 0,
    submitted: 0,
    failed: 0,
    unknown: 0,
    refused: [],
    amounts: {},
    complete: true,
  };
}

function addAmount(s: RunSummary, currency: string, key: keyof CurrencyTotals, amount: number) {
  const t = s.amounts[currency] ?? { created: 0, paid: 0, failed: 0 };
  t[key] += amount;
  s.amounts[currency] = t;
}

/** Hold the payout lock for `fn`: on its own connection, so a killed process releases it with its connection. */
async function withRunLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const client = poolOf(db, "a payout run");
  const conn = await client.reserve();
  try {
    const [row] = await conn`select pg_try_advisory_lock(hashtext('crowdfund:payouts')) as locked`;
    if (!row?.locked) throw new AppError("PAYOUT_RUN_IN_PROGRESS", "another payout run is in progress");
    try {
      return await fn();
    } finally {
      await conn`select pg_advisory_unlock(hashtext('crowdfund:payouts'))`;
    }
  } finally {
    conn.release();
  }
}

/** Run day `date`'s payouts: make what is due, then submit every open payout. */
export async function runPayouts(db: Db, s: PayoutSettings, o: RunOptions): Promise<RunSummary> {
  if (!isPayoutDate(o.date)) throw new AppError("PAYOUT_DATE_INVALID", `not a date (YYYY-MM-DD): ${o.date}`);
  const [t] = await db.execute<{ cutoff: Date; future: boolean }>(
    sql`select (${o.date}::date::timestamp at time zone ${s.timeZone}) as cutoff,
               (${o.date}::date::timestamp at time zone ${s.timeZone}) > now() as future`,
  );
  if (!t) throw new Error("cut-off query returned nothing");
  const cutoff = new Date(t.cutoff);
  if (t.future && !o.allowFutureCutoff) {
    throw new AppError("PAYOUT_CUTOFF_NOT_REACHED", `the cut-off of ${o.date} (${cutoff.toISOString()}) has not come yet`);
  }
  return withRunLock(db, async () => {
    await db
      .insert(payoutRuns)
      .values({ payoutDate: o.date })
      .onConflictDoUpdate({ target: payoutRuns.payoutDate, set: { runs: sql`${payoutRuns.runs} + 1`, finishedAt: null } });
    const summary = emptySummary(o.date, cutoff.toISOString());
    await makePayouts(db, s, o, cutoff, summary);
    if (summary.complete) await submitOpen(db, s, o, summary);
    if (summary.complete) {
      await db.update(payoutRuns).set({ finishedAt: new Date(), summary }).where(sql`${payoutRuns.payoutDate} = ${o.date}`);
    }
    return summary;
  });
}

/** Only phase 2: submit open payouts and look up pending transfers (the scheduler's reconcile). */
export async function reconcilePayouts(db: Db, s: PayoutSettings, o: Omit<RunOptions, "date"> = {}): Promise<RunSummary> {
  return withRunLock(db, async () => {
    const summary = emptySummary("", "");
    await submitOpen(db, s, o, summary);
    return summary;
  });
}

interface DueRow extends Record<string, unknown> {
  campaign_id: string;
  currency: string;
  due: string;
  creator_id: string;
  status: CampaignStatus;
  frozen: boolean;
  other: string;
  existing: string | null;
  account_id: string | null;
  payouts_enabled: boolean | null;
}

async function makePayouts(db: Db, s: PayoutSettings, o: RunOptions, cutoff: Date, summary: RunSummary) {
  let after = "";
  // Contributions settled after this are not payable yet (PAYOUT_HOLD_HOURS before the cut-off).
  const availableBefore = new Date(cutoff.getTime() - s.holdHours * 3_600_000);
  // Start from the last complete checkpoint, and write the next one on the way (./checkpoints.ts).
  const plan = await planCheckpoints(db, availableBefore);
  summary.checkpoint = { base: plan.base?.id ?? null, target: plan.target?.id ?? null };
  for (;;) {
    if (o.deadline && Date.now() > o.deadline) {
      summary.complete = false;
      return;
    }
    const last = await db.transaction(async (tx) => {
      // The batch's balances locked before they are read, in a statement of its own (a fresh snapshot after the
      // wait): a refund or dispute posted meanwhile is either seen here or posted after the payout (lockCampaignBalances).
      const batch = await tx.execute<{ owner: string }>(sql`
        select distinct owner from ledger_accounts where kind = 'campaign_collected' and owner > ${after}
        order by owner limit ${s.batchSize}`);
      await lockCampaignBalances(
        tx,
        batch.map((b) => b.owner),
      );
      // What each campaign of the batch is owed: contributions settled before the cut-off less the hold,
      // less every other movement so far, whenever it happened: payouts made, transfers failed and
      // credited back, refunds (reserved when asked for), disputed amounts moved to held. Money that came
      // back after a payout makes this negative: nothing is paid until later contributions cover it. Only
      // entries of this run's provider count: another provider's money is never this provider's to send.
      const rows = await tx.execute<DueRow>(sql`
        with acct as (
          -- Every account of the batch's campaigns (the ones just locked), whatever their number: a complete
          -- checkpoint counts a missing account as zero, so none may be left out at a batch's edge.
          select id, owner, currency from ledger_accounts
          where kind = 'campaign_collected' and owner in (select jsonb_array_elements_text(${JSON.stringify(batch.map((b) => b.owner))}::jsonb))
        ), cp as (
          -- The base checkpoint: the sum of every line up to its mark, all of it settled long ago (./checkpoints.ts).
          select c.account_id, c.provider, c.balance from ledger_checkpoints c
          where c.mark_id = ${plan.base?.id ?? 0} and c.account_id in (select id from acct)
        ), recent as (
          select l.account_id, e.provider, l.amount, l.id,
                 (e.kind <> 'contribution' or e.created_at < ${availableBefore.toISOString()}::timestamptz) as payable
          from acct a
          join ledger_lines l on l.account_id = a.id and l.id > ${plan.base?.uptoLine ?? 0}
          join ledger_entries e on e.id = l.entry_id
        ), lines as (
          select account_id, provider, balance as amount, true as payable from cp
          union all
          select account_id, provider, amount, payable from recent
        )${
          plan.target
            ? sql`, checkpoint as (
          insert into ledger_checkpoints (mark_id, account_id, provider, balance)
          select ${plan.target.id}, account_id, provider, sum(amount) from (
            select account_id, provider, balance as amount from cp
            union all
            select account_id, provider, amount from recent where id <= ${plan.target.uptoLine}
          ) x group by account_id, provider having sum(amount) <> 0
          on conflict do nothing
        )`
            : sql``
        }, due as (
          select a.owner, a.currency,
                 coalesce(-sum(l.amount) filter (where l.provider = ${s.provider.name} and l.payable), 0) as due,
                 coalesce(-sum(l.amount) filter (where l.provider <> ${s.provider.name}), 0) as other
          from acct a
          left join lines l on l.account_id = a.id
          group by a.owner, a.currency
        )
        select d.owner as campaign_id, d.currency, d.due, d.other, c.creator_id, c.status,
               c.payouts_frozen_at is not null as frozen,
               p.id as existing, pa.account_id, pa.payouts_enabled
        from due d
        join campaigns c on c.id = d.owner::uuid
        left join payouts p on p.campaign_id = c.id and p.payout_date = ${o.date}
        left join payout_accounts pa on pa.user_id = c.creator_id and pa.provider = ${s.provider.name}
        order by d.owner`);
      if (batch.length === 0) return undefined;
      const make: {
        id: string;
        campaign_id: string;
        creator_id: string;
        amount: number;
        currency: string;
        provider: string;
        destination: string;
      }[] = [];
      for (const r of rows) {
        summary.seen++;
        const due = Number(r.due);
        if (Number(r.other) !== 0) summary.otherProvider++;
        const account = r.account_id ? { payoutsEnabled: r.payouts_enabled === true } : null;
        const hold = payoutHold({ due, minimum: s.minimum, campaignStatus: r.status, frozen: r.frozen, account });
        if (r.existing) summary.alreadyMade++;
        else if (due <= 0) summary.nothingDue++;
        else if (hold) summary.skipped[hold]++;
        else if (r.account_id)
          // (always set once nothing holds the payout)
          make.push({
            id: uuidv7(),
            campaign_id: r.campaign_id,
            creator_id: r.creator_id,
            amount: due,
            currency: r.currency,
            provider: s.provider.name,
            destination: r.account_id,
          });
      }
      if (make.length > 0) {
        // The unique (campaign, day) index is the last word: a row another run made is not made again.
        // Rows as one jsonb parameter, not ten bind parameters per payout (lib/ledger's postEntries says why).
        const made = (
          await tx.execute<{
            id: string;
            campaign_id: string;
            creator_id: string;
            amount: string;
            currency: string;
            provider: string;
          }>(sql`
            insert into payouts (id, campaign_id, creator_id, payout_date, available_before, amount, currency, provider, destination)
            select r.id, r.campaign_id, r.creator_id, ${o.date}::date, ${availableBefore.toISOString()}::timestamptz,
                   r.amount, r.currency, r.provider, r.destination
            from jsonb_to_recordset(${JSON.stringify(make)}::jsonb)
              as r(id uuid, campaign_id uuid, creator_id uuid, amount bigint, currency char(3), provider text, destination text)
            on conflict do nothing
            returning id, campaign_id, creator_id, amount, currency, provider`)
        ).map((p) => ({
          id: p.id,
          campaignId: p.campaign_id,
          creatorId: p.creator_id,
          amount: Number(p.amount),
          currency: p.currency,
          provider: p.provider,
        }));
        const entries: EntryInput[] = made.map((p) => ({
          kind: "payout",
          reference: p.id,
          description: `Payout ${o.date} of campaign ${p.campaignId}`,
          provider: p.provider,
          currency: p.currency,
          lines: [
            { account: accounts.campaignCollected(p.campaignId), amount: p.amount },
            { account: accounts.creatorPayable(p.creatorId), amount: -p.amount },
          ],
        }));
        await postEntries(tx, entries);
        summary.created += made.length;
        summary.alreadyMade += make.length - made.length;
        for (const p of made) addAmount(summary, p.currency, "created", p.amount);
      }
      // The cursor follows the batch, not the rows (a campaign without its row would end the walk early).
      return batch[batch.length - 1]?.owner;
    });
    if (!last) {
      // Every campaign account was visited: the target's checkpoints are all written. The mark a later run
      // will write is taken now, after this run's payouts: most campaigns then owe nothing, so few
      // checkpoints are stored (zero balances are not).
      await completeCheckpoints(db, plan);
      await takeMark(db);
      return;
    }
    after = last;
    o.onProgress?.({ phase: "make", summary });
  }
}

type Payout = typeof payouts.$inferSelect;
type Outcome = { payout: Payout; transfer: ProviderTransfer } | { payout: Payout; unknown: true };

async function submitOpen(db: Db, s: PayoutSettings, o: Pick<RunOptions, "deadline" | "onProgress">, summary: RunSummary) {
  // A batch's answers are recorded (applyOutcomes) while the next batch is sent: the two touch different payouts
  // (the walk is keyset-ordered by ID), and the database and the provider's calls then keep both cores busy
  // (bench:payouts). At most one batch's answers are in flight, and they are recorded before this returns or throws.
  // If recording fails, later answers are not recorded and nothing more is sent: those payouts' attempts are on
  // record, so the next run looks their transfers up rather than sending again.
  let recording: Promise<{ error: unknown } | undefined> | undefined;
  const recorded = async () => {
    const failed = await recording;
    recording = undefined;
    if (failed) throw failed.error;
  };
  let sending: unknown;
  try {
    await sendBatches(db, s, o, summary, (outcomes) => {
      const previous = recording;
      recording = (async () => {
        const failed = await previous;
        if (failed) return failed;
        try {
          await applyOutcomes(db, outcomes, summary);
          o.onProgress?.({ phase: "submit", summary });
          return undefined;
        } catch (error) {
          return { error };
        }
      })();
      // The batch after next waits for this one, so that answers never pile up in memory; nothing more is sent
      // once recording failed.
      return (previous ?? Promise.resolve(undefined)).then((failed) => {
        if (failed) throw failed.error;
      });
    });
  } catch (err) {
    sending = err;
  }
  // On the way out, also when sending threw: the answers already received are recorded first. When both fail
  // differently, both errors are thrown together; neither hides the other.
  try {
    await recorded();
  } catch (err) {
    if (sending === undefined || sending === err) throw err;
    throw new AggregateError([sending, err], "payout submit: sending and recording both failed");
  }
  if (sending !== undefined) throw sending;
}

/** Walk the open payouts a batch at a time, send each batch, hand its answers to `record`, and wait for what it returns. */
async function sendBatches(
  db: Db,
  s: PayoutSettings,
  o: Pick<RunOptions, "deadline">,
  summary: RunSummary,
  record: (outcomes: Outcome[]) => Promise<void>,
) {
  const limit = pLimit(s.concurrency);
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    if (o.deadline && Date.now() > o.deadline) {
      summary.complete = false;
      return;
    }
    const batch = await db
      .select()
      .from(payouts)
      .where(sql`${payouts.status} in ('pending', 'submitted') and ${payouts.id} > ${after}`)
      .orderBy(payouts.id)
      .limit(s.batchSize);
    if (batch.length === 0) return;
    after = batch[batch.length - 1]?.id ?? after;
    // Another provider's payout (made before the deployment switched) is neither looked up nor sent here.
    const own: Payout[] = [];
    for (const p of batch) {
      if (p.provider === s.provider.name) own.push(p);
      else summary.refused.push({ payoutId: p.id, campaignId: p.campaignId, reason: "other_provider" });
    }

    // A pending payout tried before may have been made and its answer lost: look it up first.
    const found = await Promise.all(
      own.map((p) =>
        limit(async (): Promise<Outcome | undefined> => {
          try {
            if (p.status === "submitted" && p.transferId)
              return { payout: p, transfer: await s.provider.retrieveTransfer(p.transferId) };
            if (p.attempts > 0) {
              const t = await s.provider.findTransfer(p.id);
              return t ? { payout: p, transfer: t } : undefined;
            }
            return undefined;
          } catch (err) {
            if (err instanceof TransferOutcomeUnknownError) return { payout: p, unknown: true };
            throw err;
          }
        }),
      ),
    );
    const unsent = own.filter((p, i) => p.status === "pending" && found[i] === undefined);
    // The guard, right before the money leaves: what the ledger says now, not what the run computed.
    const refusals = await transferRefusals(db, s.provider.name, unsent);
    for (const [p, reason] of refusals) summary.refused.push({ payoutId: p.id, campaignId: p.campaignId, reason });
    const toSend = unsent.filter((p) => !refusals.has(p));
    // The attempt is on record before the call, so a crash during it leads to a lookup, not a blind resend.
    if (toSend.length > 0) {
      await db.execute(sql`update payouts set attempts = attempts + 1, last_attempt_at = now()
        where id in (${sql.join(
          toSend.map((p) => sql`${p.id}::uuid`),
          sql`, `,
        )})`);
    }
    const sent = await Promise.all(
      toSend.map((p) =>
        limit(async (): Promise<Outcome> => {
          try {
            const transfer = await s.provider.createTransfer({
              payoutId: p.id,
              campaignId: p.campaignId,
              destination: p.destination,
              amount: p.amount,
              currency: p.currency,
            });
            return { payout: p, transfer };
          } catch (err) {
            if (err instanceof TransferOutcomeUnknownError) return { payout: p, unknown: true };
            throw err;
          }
        }),
      ),
    );
    await record([...found.filter((f): f is Outcome => f !== undefined), ...sent]);
  }
}

/**
 * The payouts of `batch` that must not be sent through `provider`, with the reason (./guard.ts), in one
 * query whatever the batch size: per payout, its `payout` ledger entry's provider, what the campaign ever
 * collected through `provider` in its currency (net of fees, minor units) and its other payouts through
 * `provider` that did not fail.
 */
async function transferRefusals(db: Db, provider: string, batch: Payout[]): Promise<Map<Payout, TransferRefusal>> {
  const refused = new Map<Payout, TransferRefusal>();
  if (batch.length === 0) return refused;
  // The batch comes in as one jsonb parameter and every fact is a subquery on an equality the indexes answer,
  // so the plan cannot depend on the tables' statistics: reading `payouts p where id in (…)` and joining the
  // `payout` entries made the planner, trusting statistics taken before the day's payouts existed, scan the
  // table and every payout entry per batch (quadratic in a day's payouts; bench:payouts).
  const facts = new Map(
    (
      await db.execute<{ id: string; entry_provider: string | null; collected: string; other_payouts: string }>(sql`
    select r.id,
      (select pe.provider from ledger_entries pe where pe.kind = 'payout' and pe.reference = r.id::text) as entry_provider,
      coalesce((select -sum(l.amount) from ledger_accounts a
                join ledger_lines l on l.account_id = a.id
                join ledger_entries e on e.id = l.entry_id
                where a.kind = 'campaign_collected' and a.owner = r.campaign_id::text and a.currency = r.currency
                  and e.kind = 'contribution' and e.provider = ${provider}), 0) as collected,
      coalesce((select sum(o.amount) from payouts o
                where o.campaign_id = r.campaign_id and o.currency = r.currency and o.provider = ${provider}
                  and o.status <> 'failed' and o.id <> r.id), 0) as other_payouts
    from jsonb_to_recordset(${JSON.stringify(batch.map((p) => ({ id: p.id, campaign_id: p.campaignId, currency: p.currency })))}::jsonb)
      as r(id uuid, campaign_id uuid, currency char(3))`)
    ).map((r) => [r.id, r]),
  );
  for (const p of batch) {
    const f = facts.get(p.id);
    const reason = transferRefusal(
      p,
      {
        entryProvider: f?.entry_provider ?? null,
        collected: Number(f?.collected ?? 0),
        otherPayouts: Number(f?.other_payouts ?? 0),
      },
      provider,
    );
    if (reason) refused.set(p, reason);
  }
  return refused;
}

/** Record the providers' answers for a batch in one transaction: statuses and their ledger entries. */
async function applyOutcomes(db: Db, outcomes: Outcome[], summary: RunSummary) {
  const updates: {
    id: string;
    from: string;
    status: string;
    transfer_id: string | null;
    code: string | null;
    message: string | null;
  }[] = [];
  const entries: EntryInput[] = [];
  for (const o of outcomes) {
    const p = o.payout;
    if ("unknown" in o) {
      summary.unknown++;
      continue;
    }
    const t = o.transfer;
    const next = t.status === "paid" ? "paid" : t.status === "pending" ? "submitted" : "failed";
    if (next === p.status) continue; // still in flight at the provider
    updates.push({
      id: p.id,
      from: p.status,
      status: next,
      transfer_id: t.id ?? p.transferId,
      code: t.failureCode ?? null,
      message: t.failureMessage ?? null,
    });
    const payable = accounts.creatorPayable(p.creatorId);
    const provider = accounts.providerClearing(p.provider);
    const campaign = accounts.campaignCollected(p.campaignId);
    if (p.status === "pending" && next !== "failed") {
      // The money leaves: from what we owe the creator to the provider that carries it.
      entries.push({
        kind: "payout_submitted",
        reference: p.id,
        description: `Transfer ${t.id} of payout ${p.id}`,
        provider: p.provider,
        currency: p.currency,
        lines: [
          { account: payable, amount: p.amount },
          { account: provider, amount: -p.amount },
        ],
      });
    }
    if (next === "failed") {
      // Credited back to the campaign; the next day's run pays it again.
      entries.push({
        kind: "payout_failed",
        reference: p.id,
        description: `Failed payout ${p.id}: ${t.failureCode ?? "transfer failed"}`,
        provider: p.provider,
        currency: p.currency,
        lines: [
          { account: p.status === "pending" ? payable : provider, amount: p.amount },
          { account: campaign, amount: -p.amount },
        ],
      });
    }
    if (next === "paid") {
      summary.paid++;
      addAmount(summary, p.currency, "paid", p.amount);
    } else if (next === "submitted") summary.submitted++;
    else {
      summary.failed++;
      addAmount(summary, p.currency, "failed", p.amount);
    }
  }
  if (updates.length === 0) return;
  await db.transaction(async (tx) => {
    // Guarded by the status read, so an answer is applied once and a state never goes back.
    const changed = await tx.execute<{
      id: string;
      campaign_id: string;
      creator_id: string;
      amount: string;
      currency: string;
      status: string;
    }>(sql`
      update payouts p set
        status = r.status::payout_status,
        transfer_id = r.transfer_id,
        failure_code = r.code,
        failure_message = r.message,
        submitted_at = case when r.status in ('submitted', 'paid') then coalesce(p.submitted_at, now()) else p.submitted_at end,
        paid_at = case when r.status = 'paid' then now() else p.paid_at end,
        failed_at = case when r.status = 'failed' then now() else p.failed_at end
      from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
        as r(id uuid, "from" text, status text, transfer_id text, code text, message text)
      where p.id = r.id and p.status::text = r."from"
      returning p.id, p.campaign_id, p.creator_id, p.amount, p.currency, p.status`);
    await postEntries(tx, entries);
    // The creator hears of it (lib/mail): once per payout, as the row becomes paid in this transaction.
    await appendEvents(
      tx,
      changed
        .filter((p) => p.status === "paid")
        .map((p) => ({
          type: "payout.paid" as const,
          partitionKey: p.campaign_id,
          payload: {
            payoutId: p.id,
            campaignId: p.campaign_id,
            creatorId: p.creator_id,
            amount: Number(p.amount),
            currency: p.currency,
          },
        })),
    );
  });
}
