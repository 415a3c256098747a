import { eq, type SQL, sql } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { campaigns, contributions, paymentDiscrepancies, providerEvents } from "@/db/schema";
import { appendEvent } from "@/lib/events/outbox";
import { accounts, platformFee, postEntry } from "@/lib/ledger";
import { type DeclineCounter, isDecline } from "./card-testing";
import { isUnmadePayment, type ProviderPayment } from "./provider";

export type SettleResult =
  | "applied"
  | "duplicate_event"
  | "already_settled"
  | "still_pending"
  | "discrepancy"
  | "unknown_payment";

export interface SettleInput {
  provider: string;
  payment: ProviderPayment;
  /** Present when the outcome comes from a webhook: the event is applied at most once. */
  event?: { id: string; type: string };
  feeBps: number;
  /**
   * The card-testing counters: a contribution this call moved to failed by a decline is counted once, after the
   * commit, under its contributor, client IP and card fingerprint (whichever path saw it first: the API's answer,
   * a webhook, reconciliation).
   */
  declines?: DeclineCounter;
  /**
   * Runs last in the settlement's transaction with the contribution as it now stands (when there is one): what the
   * caller must commit with the settlement, or not at all. The API stores its answer for the Idempotency-Key here,
   * so a contribution takes one commit less (lib/payments/contributions.ts `contribute`).
   */
  alsoInTransaction?: (tx: Db, contribution: Contribution) => Promise<void>;
}

type Contribution = typeof contributions.$inferSelect;

/**
 * The ONE function that settles a contribution from a provider's answer — the
 * synchronous API response and every webhook come through here, keyed by the
 * PaymentIntent (and the contribution ID in its metadata). In one transaction:
 * the event ID is recorded (a redelivery changes nothing), the contribution moves
 * pending → succeeded | failed (never away from succeeded), the ledger entry is
 * posted (unique per contribution) and an outbox event appended.
 */
export async function settlePayment(db: Db, input: SettleInput): Promise<{ result: SettleResult; contribution?: Contribution }> {
  const out = await settleOnce(db, { provider: input.provider, event: input.event, paymentId: input.payment.id }, async (tx) => {
    const applied = await apply(tx, input);
    if (input.alsoInTransaction && applied.contribution) await input.alsoInTransaction(tx, applied.contribution);
    return applied;
  });
  const c = "contribution" in out ? out.contribution : undefined;
  if (input.declines && out.result === "applied" && c?.status === "failed" && isDecline(c.failureCode)) {
    await input.declines.record({ userId: c.contributorId, ip: c.clientIp, fingerprint: c.cardFingerprint });
  }
  return out;
}

/** Statuses of a contribution whose money arrived (refunds may have given some or all of it back since). */
export const PAID_STATUSES = ["succeeded", "partially_refunded", "refunded"] as const;
export const isPaid = (status: Contribution["status"]): boolean => (PAID_STATUSES as readonly string[]).includes(status);
/**
 * Statuses of a gift that still stands: paid and not fully refunded. The public lists (donor wall, top donors, words
 * of support) show only these; a fully refunded gift is gone from them.
 */
export const STANDING_STATUSES = ["succeeded", "partially_refunded"] as const satisfies readonly (typeof PAID_STATUSES)[number][];

/**
 * The transaction every settle function runs in (payments, refunds, disputes): when the news comes from a
 * webhook `event`, its ID is recorded first in `provider_events` and a redelivery changes nothing
 * (`{ result: "duplicate_event" }`); then `apply` runs, and what it did (`result`) is kept with the event
 * for operators reading provider_events. Without an event (a synchronous API answer) only `apply` runs.
 */
export async function settleOnce<R extends { result: string }>(
  db: Db,
  p: { provider: string; event?: { id: string; type: string }; paymentId: string },
  apply: (tx: Db) => Promise<R>,
): Promise<R | { result: "duplicate_event" }> {
  return db.transaction(async (tx) => {
    const { event } = p;
    if (event) {
      const fresh = await tx
        .insert(providerEvents)
        .values({ eventId: event.id, provider: p.provider, type: event.type, paymentId: p.paymentId, outcome: "processing" })
        .onConflictDoNothing()
        .returning({ id: providerEvents.eventId });
      if (fresh.length === 0) return { result: "duplicate_event" as const };
    }
    const out = await apply(tx);
    if (event) await tx.update(providerEvents).set({ outcome: out.result }).where(eq(providerEvents.eventId, event.id));
    return out;
  });
}

/**
 * The contribution the payment is for, locked (FOR UPDATE of its row only), with its campaign's creator read in
 * the same statement (the `contribution.succeeded` event names them): one statement, not two.
 */
async function findLocked(tx: Db, p: ProviderPayment): Promise<{ c: Contribution; creatorId: string } | undefined> {
  const locked = (where: SQL) =>
    tx
      .select({ c: contributions, creatorId: campaigns.creatorId })
      .from(contributions)
      .innerJoin(campaigns, eq(campaigns.id, contributions.campaignId))
      .where(where)
      .for("update", { of: contributions });
  if (p.contributionId && isUuid(p.contributionId)) {
    const [row] = await locked(eq(contributions.id, p.contributionId));
    if (row) return row;
  }
  const [row] = await locked(eq(contributions.providerPaymentId, p.id));
  return row;
}

async function apply(tx: Db, input: SettleInput): Promise<{ result: SettleResult; contribution?: Contribution }> {
  const p = input.payment;
  const found = await findLocked(tx, p);
  if (!found) return { result: "unknown_payment" };
  const { c, creatorId } = found;
  // A stored unmade ID (rows from before it was never stored) is no payment: a real one may take its place.
  const known = c.providerPaymentId && !isUnmadePayment(c.providerPaymentId) ? c.providerPaymentId : null;
  if (known && known !== p.id) return discrepancy(tx, c, input);
  // The payment's ID is stored on the row whatever the outcome: by the status update below when there is one (it
  // sets the ID too), else by an update of its own. One update per settlement, not two.
  const storeId = !known && !isUnmadePayment(p.id);
  const keepId = async () => {
    if (storeId) await tx.update(contributions).set({ providerPaymentId: p.id }).where(eq(contributions.id, c.id));
  };
  if (p.status === "pending" || p.status === "requires_action") {
    await keepId();
    return { result: "still_pending", contribution: c };
  }
  if (p.amount !== c.amount || p.currency.toUpperCase() !== c.currency) {
    await keepId();
    return discrepancy(tx, c, input);
  }

  if (p.status === "succeeded") {
    if (isPaid(c.status)) {
      await keepId();
      return { result: "already_settled", contribution: c };
    }
    // pending → succeeded, or failed → succeeded (money did arrive after a retry on the provider's side)
    const fee = platformFee(c.amount, input.feeBps);
    const [updated] = await tx
      .update(contributions)
      .set({
        status: "succeeded",
        settledAt: new Date(),
        failureCode: null,
        failureMessage: null,
        providerPaymentId: p.id,
        feeAmount: fee,
        // The receipt's number, in the same statement (migration 0016's sequence); kept if it ever had one.
        receiptNumber: sql`coalesce(${contributions.receiptNumber}, nextval('contribution_receipt_seq'))`,
      })
      .where(eq(contributions.id, c.id))
      .returning();
    await postEntry(tx, {
      kind: "contribution",
      reference: c.id,
      description: `Contribution ${c.id} to campaign ${c.campaignId}`,
      provider: input.provider,
      currency: c.currency,
      lines: [
        { account: accounts.providerClearing(input.provider), amount: c.amount },
        { account: accounts.campaignCollected(c.campaignId), amount: -c.amount },
        { account: accounts.campaignCollected(c.campaignId), amount: fee },
        { account: accounts.platformFees(), amount: -fee },
      ],
    });
    // The displayed total and the creator's balance are the event consumers' job (lib/events): no hot row here.
    await appendEvent(tx, {
      type: "contribution.succeeded",
      partitionKey: c.campaignId,
      payload: {
        contributionId: c.id,
        campaignId: c.campaignId,
        creatorId,
        amount: c.amount,
        currency: c.currency,
        fee,
      },
    });
    return { result: "applied", contribution: updated };
  }

  // failed
  if (c.status !== "pending") {
    await keepId();
    return { result: "already_settled", contribution: c };
  }
  const [updated] = await tx
    .update(contributions)
    .set({
      status: "failed",
      settledAt: new Date(),
      failureCode: p.failureCode ?? "payment_failed",
      failureMessage: p.failureMessage ?? "The payment failed",
      ...(storeId ? { providerPaymentId: p.id } : {}),
    })
    .where(eq(contributions.id, c.id))
    .returning();
  await appendEvent(tx, {
    type: "contribution.failed",
    partitionKey: c.campaignId,
    payload: { contributionId: c.id, campaignId: c.campaignId, amount: c.amount, currency: c.currency, code: p.failureCode },
  });
  return { result: "applied", contribution: updated };
}

async function discrepancy(tx: Db, c: Contribution, input: SettleInput) {
  await tx.insert(paymentDiscrepancies).values({
    id: uuidv7(),
    contributionId: c.id,
    eventId: input.event?.id ?? null,
    expectedAmount: c.amount,
    expectedCurrency: c.currency,
    actualAmount: input.payment.amount,
    actualCurrency: input.payment.currency,
  });
  return { result: "discrepancy" as const, contribution: c };
}
