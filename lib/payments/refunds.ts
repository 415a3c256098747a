import { createHash } from "node:crypto";
import { and, desc, eq, isNull, lt, ne, sql } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { campaigns, contributions, disputes, ledgerAccounts, ledgerEntries, ledgerLines, refunds } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { appendEvent } from "@/lib/events/outbox";
import { accounts, postEntry } from "@/lib/ledger";
import { recordAdminAction } from "@/lib/moderation/audit";
import { chargeLimits, isChargeable } from "@/lib/money/currency";
import type { PublicUser } from "@/lib/users";
import { type PaymentProvider, type ProviderRefund, ProviderUnavailableError, refundIdempotencyKey } from "./provider";
import type { CreateRefundInput, RefundDto } from "./schemas";
import { isPaid, settleOnce } from "./settle";

/**
 * Refunds (docs/payments.md, "Money that comes back"). A refund is recorded, and its money reserved, before
 * the provider is asked: the row, its ledger entry (the contribution's entry reversed in proportion, fee
 * share included), the contribution's `refundedAmount` and a `contribution.refunded` event are one
 * transaction. The provider's answer and its webhooks then go through `settleRefund`, the one function
 * that moves a refund on: pending → succeeded, or → failed, which posts the exact reversal of the entry.
 */

type RefundRow = typeof refunds.$inferSelect;
type Contribution = typeof contributions.$inferSelect;

export function toRefundDto(r: RefundRow): RefundDto {
  return {
    id: r.id,
    contributionId: r.contributionId,
    campaignId: r.campaignId,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
    failure:
      r.status === "failed" ? { code: r.failureCode ?? "refund_failed", message: r.failureMessage ?? "The refund failed" } : null,
  };
}

/**
 * Set the locked contribution's refunded amount (minor units); its status follows (succeeded,
 * partially_refunded, refunded). Returns how the campaign's contribution count changes: -1 when it became
 * fully refunded, +1 when it no longer is, else 0.
 */
async function setRefunded(tx: Db, c: Contribution, refunded: number): Promise<number> {
  const status = !isPaid(c.status)
    ? c.status
    : refunded === 0
      ? "succeeded"
      : refunded >= c.amount
        ? "refunded"
        : "partially_refunded";
  await tx.update(contributions).set({ refundedAmount: refunded, status }).where(eq(contributions.id, c.id));
  return (c.status === "refunded" ? 1 : 0) - (status === "refunded" ? 1 : 0);
}

/**
 * Record a refund of `amount` (minor units) of the locked contribution `c`, inside `tx`: the row, the
 * ledger entry, the contribution's new refunded amount and status, and the event for the totals.
 * The fee share given back is what makes the fees returned so far equal `fee × refunded / amount`,
 * rounded down, so that refunding everything gives the whole fee back whatever the steps.
 * Throws REFUND_EXCEEDS_CONTRIBUTION when `amount` is more than what remains.
 */
async function reserveRefund(
  tx: Db,
  c: Contribution,
  r: Pick<RefundRow, "id" | "amount" | "reason" | "requestedBy" | "idempotencyKey" | "requestHash" | "providerRefundId"> & {
    status?: RefundRow["status"];
  },
): Promise<RefundRow> {
  const remaining = c.amount - c.refundedAmount;
  if (r.amount > remaining) {
    throw new AppError("REFUND_EXCEEDS_CONTRIBUTION", `Only ${remaining} minor units of this contribution remain to refund`, [
      { field: "amount", message: `must be at most ${remaining}` },
    ]);
  }
  const [given] = await tx
    .select({ fees: sql<string>`coalesce(sum(${refunds.feeAmount}), 0)` })
    .from(refunds)
    .where(and(eq(refunds.contributionId, c.id), ne(refunds.status, "failed")));
  const fee = c.feeAmount ?? 0;
  const refunded = c.refundedAmount + r.amount;
  const feeBack = Math.max(
    0,
    Math.min(fee - Number(given?.fees ?? 0), Math.floor((fee * refunded) / c.amount) - Number(given?.fees ?? 0)),
  );
  const [row] = await tx
    .insert(refunds)
    .values({
      ...r,
      contributionId: c.id,
      campaignId: c.campaignId,
      currency: c.currency,
      feeAmount: feeBack,
      provider: c.provider,
      status: r.status ?? "pending",
    })
    .returning();
  if (!row) throw new Error("refund insert returned nothing");
  // The contribution's entry reversed in proportion: the money leaves the provider balance, the
  // campaign gives back what it received, the platform its fee share.
  await postEntry(tx, {
    kind: "refund",
    reference: row.id,
    description: `Refund ${row.id} of contribution ${c.id}`,
    provider: c.provider,
    currency: c.currency,
    lines: [
      { account: accounts.providerClearing(c.provider), amount: -r.amount },
      { account: accounts.campaignCollected(c.campaignId), amount: r.amount },
      { account: accounts.campaignCollected(c.campaignId), amount: -feeBack },
      { account: accounts.platformFees(), amount: feeBack },
    ],
  });
  const countChange = await setRefunded(tx, c, refunded);
  await appendEvent(tx, {
    type: "contribution.refunded",
    partitionKey: c.campaignId,
    payload: {
      contributionId: c.id,
      campaignId: c.campaignId,
      refundId: row.id,
      amount: r.amount,
      currency: c.currency,
      countChange,
    },
  });
  return row;
}

/** Mark a refund failed and post the exact reversal of its entry; the money is the campaign's again. */
async function failRefund(tx: Db, row: RefundRow, c: Contribution, failure: { code?: string; message?: string }) {
  await tx
    .update(refunds)
    .set({
      status: "failed",
      settledAt: new Date(),
      failureCode: failure.code ?? "refund_failed",
      failureMessage: failure.message ?? "The provider could not refund this payment",
    })
    .where(eq(refunds.id, row.id));
  const lines = await tx
    .select({ kind: ledgerAccounts.kind, owner: ledgerAccounts.owner, amount: ledgerLines.amount })
    .from(ledgerLines)
    .innerJoin(ledgerEntries, eq(ledgerEntries.id, ledgerLines.entryId))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerLines.accountId))
    .where(and(eq(ledgerEntries.kind, "refund"), eq(ledgerEntries.reference, row.id)));
  await postEntry(tx, {
    kind: "refund_failed",
    reference: row.id,
    description: `Failed refund ${row.id} of contribution ${c.id}: ${failure.code ?? "refund_failed"}`,
    provider: row.provider,
    currency: row.currency,
    lines: lines.map((l) => ({ account: { kind: l.kind, owner: l.owner }, amount: -l.amount })),
  });
  const countChange = await setRefunded(tx, c, c.refundedAmount - row.amount);
  await appendEvent(tx, {
    type: "refund.failed",
    partitionKey: c.campaignId,
    payload: {
      contributionId: c.id,
      campaignId: c.campaignId,
      refundId: row.id,
      amount: row.amount,
      currency: row.currency,
      countChange,
    },
  });
}

export type RefundSettleResult = "applied" | "recorded" | "unchanged" | "duplicate_event" | "unknown_payment" | "discrepancy";

export interface SettleRefundInput {
  provider: string;
  refund: ProviderRefund;
  /** Present when the answer comes from a webhook: the event is applied at most once. */
  event?: { id: string; type: string };
}

/**
 * The ONE function that moves a refund on, from the provider's answer to `createRefund` or from any
 * refund webhook (refund.created/updated/failed, charge.refund.updated, each refund of charge.refunded).
 * Finds our refund by the provider's refund ID, else by `refundId` (metadata); a refund we never asked
 * for (made in the provider's dashboard) is recorded like one we did, with `requestedBy` null. In one
 * transaction: pending → succeeded, or pending | succeeded → failed (the reversal posted once; Stripe
 * lets a succeeded refund fail later). Never away from failed. Results: "applied" (a state changed),
 * "recorded" (a dashboard refund was recorded), "unchanged", "duplicate_event", "unknown_payment"
 * (no contribution has this PaymentIntent), "discrepancy" (the provider refunded more than we hold).
 */
export async function settleRefund(
  db: Db,
  input: SettleRefundInput,
): Promise<{ result: RefundSettleResult; campaignId?: string; refund?: RefundRow }> {
  return settleOnce(db, { provider: input.provider, event: input.event, paymentId: input.refund.paymentId }, (tx) =>
    applyRefund(tx, input),
  );
}

async function applyRefund(
  tx: Db,
  input: SettleRefundInput,
): Promise<{ result: RefundSettleResult; campaignId?: string; refund?: RefundRow }> {
  const p = input.refund;
  let row: RefundRow | undefined;
  if (p.id) [row] = await tx.select().from(refunds).where(eq(refunds.providerRefundId, p.id)).for("update");
  if (!row && p.refundId && isUuid(p.refundId))
    [row] = await tx.select().from(refunds).where(eq(refunds.id, p.refundId)).for("update");

  const contributionId = row?.contributionId;
  const [c] = contributionId
    ? await tx.select().from(contributions).where(eq(contributions.id, contributionId)).for("update")
    : await tx.select().from(contributions).where(eq(contributions.providerPaymentId, p.paymentId)).for("update");
  if (!c) return { result: "unknown_payment" };
  // Two deliveries about one dashboard refund (refund.created, charge.refunded) wait for each other on
  // the contribution's lock: the second must see the row the first recorded.
  if (!row && p.id) [row] = await tx.select().from(refunds).where(eq(refunds.providerRefundId, p.id)).for("update");

  if (!row) {
    // Made at the provider (its dashboard): record it like one we asked for, if the money is there.
    if (p.status === "failed") return { result: "unchanged", campaignId: c.campaignId };
    if (!isPaid(c.status) || p.amount > c.amount - c.refundedAmount || p.currency.toUpperCase() !== c.currency) {
      return { result: "discrepancy", campaignId: c.campaignId };
    }
    const made = await reserveRefund(tx, c, {
      id: uuidv7(),
      amount: p.amount,
      reason: "Refunded at the payment provider",
      requestedBy: null,
      idempotencyKey: null,
      requestHash: null,
      providerRefundId: p.id,
      status: p.status,
    });
    if (p.status === "succeeded") await tx.update(refunds).set({ settledAt: new Date() }).where(eq(refunds.id, made.id));
    return { result: "recorded", campaignId: c.campaignId, refund: made };
  }

  if (p.id && !row.providerRefundId) await tx.update(refunds).set({ providerRefundId: p.id }).where(eq(refunds.id, row.id));
  if (row.status === "failed" || p.status === "pending") return { result: "unchanged", campaignId: c.campaignId, refund: row };
  if (p.status === "failed") {
    await failRefund(tx, row, c, { code: p.failureCode, message: p.failureMessage });
  } else if (row.status === "pending") {
    await tx.update(refunds).set({ status: "succeeded", settledAt: new Date() }).where(eq(refunds.id, row.id));
  } else {
    return { result: "unchanged", campaignId: c.campaignId, refund: row };
  }
  const [after] = await tx.select().from(refunds).where(eq(refunds.id, row.id));
  return { result: "applied", campaignId: c.campaignId, refund: after };
}

export interface RefundResult {
  status: 201;
  body: RefundDto;
  replayed: boolean;
}

function requestHash(contributionId: string, input: CreateRefundInput): string {
  return createHash("sha256")
    .update(JSON.stringify([contributionId, input.amount ?? null, input.reason ?? null]))
    .digest("hex");
}

/**
 * POST /api/contributions/{id}/refunds. `actor`: the campaign's creator or an admin (null: the platform
 * itself, e.g. the close-for-abuse job); `key`: an idempotency key unique to the actor (the API passes
 * `userId:Idempotency-Key`). The same key with the same request → the same refund (`replayed`); with
 * another request → IDEMPOTENCY_KEY_REUSED. A refund whose provider call did not get through (provider
 * unreachable) stays pending and is sent again by a retry with the same key or by `resumeRefunds`.
 * Throws CONTRIBUTION_NOT_FOUND (unknown, or not the actor's to see), FORBIDDEN (the donor),
 * CONTRIBUTION_NOT_REFUNDABLE (pending or failed), CONTRIBUTION_DISPUTED (an open dispute: Stripe
 * refuses refunds of disputed charges), PROVIDER_MISMATCH (paid through another provider than the one
 * configured), REFUND_EXCEEDS_CONTRIBUTION. An admin's refund of a contribution to a campaign not theirs writes one
 * "contribution.refund" row to the admin audit log in the transaction that reserves it (docs/moderation.md).
 */
export async function refundContribution(
  db: Db,
  deps: { provider: PaymentProvider },
  p: { actor: PublicUser | null; contributionId: string; key: string; input: CreateRefundInput },
): Promise<RefundResult> {
  if (!isUuid(p.contributionId)) throw new AppError("CONTRIBUTION_NOT_FOUND", "No such contribution");
  const hash = requestHash(p.contributionId, p.input);
  const { row, replayed } = await db.transaction(async (tx) => {
    const [existing] = await tx.select().from(refunds).where(eq(refunds.idempotencyKey, p.key));
    if (existing) {
      if (existing.requestHash !== hash)
        throw new AppError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request");
      return { row: existing, replayed: true };
    }
    const [c] = await tx.select().from(contributions).where(eq(contributions.id, p.contributionId)).for("update");
    if (!c) throw new AppError("CONTRIBUTION_NOT_FOUND", "No such contribution");
    const [campaign] = await tx.select({ creatorId: campaigns.creatorId }).from(campaigns).where(eq(campaigns.id, c.campaignId));
    // An admin refunding a contribution to a campaign not theirs: written to the admin audit log below.
    const asAdmin = p.actor !== null && p.actor.role === "admin" && campaign?.creatorId !== p.actor.id;
    if (p.actor && p.actor.role !== "admin") {
      if (campaign?.creatorId !== p.actor.id) {
        if (c.contributorId === p.actor.id)
          throw new AppError("FORBIDDEN", "Only the campaign's creator or an admin can refund a contribution");
        throw new AppError("CONTRIBUTION_NOT_FOUND", "No such contribution");
      }
    }
    if (!isPaid(c.status)) throw new AppError("CONTRIBUTION_NOT_REFUNDABLE", `A ${c.status} contribution has no money to refund`);
    if (c.provider !== deps.provider.name)
      throw new AppError(
        "PROVIDER_MISMATCH",
        `This contribution was paid through ${c.provider}, which is not the configured provider (${deps.provider.name})`,
      );
    const [open] = await tx
      .select({ id: disputes.id })
      .from(disputes)
      .where(and(eq(disputes.contributionId, c.id), isNull(disputes.outcome)));
    if (open)
      throw new AppError(
        "CONTRIBUTION_DISPUTED",
        "This contribution is disputed; it cannot be refunded until the dispute closes",
      );
    const amount = p.input.amount ?? c.amount - c.refundedAmount;
    if (amount <= 0) throw new AppError("REFUND_EXCEEDS_CONTRIBUTION", "This contribution is already fully refunded");
    // Stripe refunds by the same step it charges by (three-decimal currencies: a last digit of 0): refuse here.
    const step = isChargeable(c.currency) ? chargeLimits(c.currency).step : 1;
    if (amount % step !== 0)
      throw new AppError("AMOUNT_NOT_CHARGEABLE", `A refund in ${c.currency} must be a multiple of ${step} minor units`, [
        { field: "amount", message: `must be a multiple of ${step}` },
      ]);
    const made = await reserveRefund(tx, c, {
      id: uuidv7(),
      amount,
      reason: p.input.reason || null,
      requestedBy: p.actor?.id ?? null,
      idempotencyKey: p.key,
      requestHash: hash,
      providerRefundId: null,
    });
    if (asAdmin)
      await recordAdminAction(tx, {
        actor: p.actor,
        action: "contribution.refund",
        subjectType: "contribution",
        subjectId: c.id,
        details: { refundId: made.id, amount, currency: c.currency, campaignId: c.campaignId, reason: p.input.reason ?? null },
      });
    return { row: made, replayed: false };
  });
  const sent = await submitRefund(db, deps.provider, row);
  return { status: 201, body: toRefundDto(sent), replayed };
}

/**
 * Ask the provider for a recorded refund that has no answer yet, and settle the answer. The call
 * carries `refundIdempotencyKey(row.id)`, so sending it again never refunds twice. When the provider is
 * unreachable the refund stays pending (its money stays reserved) and the row is returned as it is.
 */
async function submitRefund(db: Db, provider: PaymentProvider, row: RefundRow): Promise<RefundRow> {
  if (row.status !== "pending" || row.providerRefundId) return row;
  const [c] = await db.select().from(contributions).where(eq(contributions.id, row.contributionId));
  if (!c?.providerPaymentId) return row;
  try {
    const answer = await provider.createRefund({
      refundId: row.id,
      contributionId: row.contributionId,
      paymentId: c.providerPaymentId,
      amount: row.amount,
      currency: row.currency,
      reason: row.reason ?? undefined,
      idempotencyKey: refundIdempotencyKey(row.id),
    });
    // A refusal has no provider ID: it is settled through our own refund ID.
    await settleRefund(db, { provider: provider.name, refund: { ...answer, refundId: row.id } });
  } catch (err) {
    if (!(err instanceof ProviderUnavailableError)) throw err;
  }
  const [after] = await db.select().from(refunds).where(eq(refunds.id, row.id));
  return after ?? row;
}

/**
 * Send the refunds still waiting for the provider (pending, never answered, older than `olderThanMs`)
 * again, oldest first, at most `limit` of them; returns how many got an answer. The scheduler runs it
 * with its payout reconciliation, so a refund asked for during an outage is not left behind.
 */
export async function resumeRefunds(
  db: Db,
  provider: PaymentProvider,
  opts: {
    olderThanMs?: number;
    limit?: number;
    /** A refund that could not be sent (not the provider's outage): the others are still sent. */
    onError?: (refundId: string, err: unknown) => void;
  } = {},
): Promise<number> {
  const rows = await db
    .select()
    .from(refunds)
    .where(
      and(
        eq(refunds.status, "pending"),
        isNull(refunds.providerRefundId),
        eq(refunds.provider, provider.name),
        lt(refunds.createdAt, new Date(Date.now() - (opts.olderThanMs ?? 60_000))),
      ),
    )
    .orderBy(refunds.createdAt)
    .limit(opts.limit ?? 100);
  let answered = 0;
  for (const r of rows) {
    try {
      const after = await submitRefund(db, provider, r);
      if (after.providerRefundId || after.status !== "pending") answered++;
    } catch (err) {
      // One refund the provider adapter cannot express (e.g. a currency it cannot convert) must not stop the rest.
      if (!opts.onError) throw err;
      opts.onError(r.id, err);
    }
  }
  return answered;
}

/**
 * The refunds of a contribution, newest first, for the campaign's creator, an admin or the donor.
 * Throws CONTRIBUTION_NOT_FOUND for anyone else (and for unknown IDs).
 */
export async function listRefunds(db: Db, viewer: PublicUser, contributionId: string): Promise<RefundDto[]> {
  if (!isUuid(contributionId)) throw new AppError("CONTRIBUTION_NOT_FOUND", "No such contribution");
  const [c] = await db
    .select({ contributorId: contributions.contributorId, creatorId: campaigns.creatorId })
    .from(contributions)
    .innerJoin(campaigns, eq(campaigns.id, contributions.campaignId))
    .where(eq(contributions.id, contributionId));
  if (!c || (viewer.role !== "admin" && viewer.id !== c.creatorId && viewer.id !== c.contributorId))
    throw new AppError("CONTRIBUTION_NOT_FOUND", "No such contribution");
  const rows = await db.select().from(refunds).where(eq(refunds.contributionId, contributionId)).orderBy(desc(refunds.id));
  return rows.map(toRefundDto);
}
