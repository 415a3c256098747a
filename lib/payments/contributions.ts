import { createHash } from "node:crypto";
import { and, desc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import { campaignSubscriptions, campaigns, contributions, disputes, idempotencyKeys, refunds, users } from "@/db/schema";
import { getCampaignTerms } from "@/lib/campaigns";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { acceptsContributions } from "@/lib/campaigns/status";
import { AppError } from "@/lib/errors";
import { chargeLimits, chargeProblem, formatMoney } from "@/lib/money/currency";
import { uuidTimeFloor } from "@/lib/ops/partitions";
import type { PublicUser } from "@/lib/users";
import { type DeclineCounter, refuseCardTesting } from "./card-testing";
import { type PaymentProvider, type ProviderPayment, ProviderUnavailableError, paymentIdempotencyKey } from "./provider";
import { type ReconcileSettings, reconcileContribution } from "./reconcile";
import { toRefundDto } from "./refunds";
import type { ContributeInput, ContributionDto, PublicContribution, RefundDto } from "./schemas";
import { STANDING_STATUSES, settlePayment } from "./settle";

/** Keys are kept 48 hours (the API promises at least 24). */
const KEY_TTL_HOURS = 48;
/**
 * A request holding a key longer than this is presumed dead; a retry may take the key over and resume. So is one
 * whose lock is older than the PostgreSQL server's start (`pg_postmaster_start_time()`): a crash or restart of the
 * database ended every request that was running, so their retries need not wait out the timeout (docs/reliability.md).
 * Taking over a request that is in fact still running is safe, only wasteful: the contribution row is found by its
 * key, and the provider call carries the contribution's own idempotency key.
 */
const LOCK_TIMEOUT_SECONDS = 60;

export interface ContributeDeps {
  provider: PaymentProvider;
  feeBps: number;
  maxAmount: number;
  /** When payments left pending are asked about and given up on. */
  reconcile: ReconcileSettings;
  /** Declined payments per user, IP and card (lib/payments/card-testing.ts). */
  cardTesting: DeclineCounter;
}

export interface ContributeResult {
  status: number;
  body: ContributionDto;
  replayed: boolean;
}

type Row = typeof contributions.$inferSelect;

/**
 * A contribution as its contributor sees it. With the provider's live `payment` of a pending contribution that
 * requires action (3-D Secure), the status says so and the client secret and next action are included.
 */
export function toContributionDto(c: Row, payment?: ProviderPayment): ContributionDto {
  const action = c.status === "pending" && payment?.status === "requires_action";
  return {
    id: c.id,
    campaignId: c.campaignId,
    amount: c.amount,
    currency: c.currency,
    status: action ? "requires_action" : c.status,
    refundedAmount: c.refundedAmount,
    createdAt: c.createdAt.toISOString(),
    failure:
      c.status === "failed"
        ? { code: c.failureCode ?? "payment_failed", message: c.failureMessage ?? "The payment failed" }
        : null,
    ...(action && payment.clientSecret ? { clientSecret: payment.clientSecret } : {}),
    ...(action && payment.nextAction ? { nextAction: payment.nextAction } : {}),
  };
}

/** Where the payer comes back after authenticating a contribution's payment: its campaign page, which follows it. */
export function contributionReturnUrl(publicOrigin: string, campaignId: string, contributionId: string): string {
  const u = new URL(`/campaigns/${campaignId}`, publicOrigin);
  u.searchParams.set("contribution", contributionId);
  return u.toString();
}

function requestHash(campaignId: string, input: ContributeInput): string {
  const canonical = JSON.stringify([
    campaignId,
    input.amount,
    input.currency,
    input.paymentMethod,
    input.message ?? null,
    input.anonymous,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

type Claim = { kind: "new"; contributionId: string | null } | { kind: "replay"; status: number; body: ContributionDto };

/**
 * Claim the idempotency key (Brandur Leach's pattern): first writer owns it; others replay, wait or are refused.
 * A new key (the common case) is claimed by one INSERT … ON CONFLICT DO NOTHING, atomic on its own: no
 * transaction around it (begin and commit were two more round trips per contribution). Only a key that exists
 * is read and locked in a transaction, to replay, refuse or take it over.
 */
async function claimKey(db: Db, userId: string, key: string, hash: string): Promise<Claim> {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      userId,
      key,
      requestHash: hash,
      lockedAt: sql`now()`,
      expiresAt: sql`now() + make_interval(hours => ${KEY_TTL_HOURS})`,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return { kind: "new", contributionId: null };

  return db.transaction(async (tx): Promise<Claim> => {
    const [row] = await tx
      .select({
        requestHash: idempotencyKeys.requestHash,
        contributionId: idempotencyKeys.contributionId,
        responseStatus: idempotencyKeys.responseStatus,
        responseBody: idempotencyKeys.responseBody,
        expired: sql<boolean>`${idempotencyKeys.expiresAt} < now()`,
        stale: sql<boolean>`${idempotencyKeys.lockedAt} is null or ${idempotencyKeys.lockedAt} < now() - make_interval(secs => ${LOCK_TIMEOUT_SECONDS})
          or ${idempotencyKeys.lockedAt} < pg_postmaster_start_time()`,
      })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
      .for("update");
    if (!row) throw new AppError("IDEMPOTENCY_KEY_IN_USE", "The request with this key is still running; retry shortly");
    const where = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));
    if (row.expired) {
      await tx
        .update(idempotencyKeys)
        .set({
          requestHash: hash,
          contributionId: null,
          responseStatus: null,
          responseBody: null,
          lockedAt: sql`now()`,
          createdAt: sql`now()`,
          expiresAt: sql`now() + make_interval(hours => ${KEY_TTL_HOURS})`,
        })
        .where(where);
      return { kind: "new", contributionId: null };
    }
    if (row.requestHash !== hash) {
      throw new AppError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request");
    }
    if (row.responseStatus !== null) {
      return { kind: "replay", status: row.responseStatus, body: row.responseBody as ContributionDto };
    }
    if (!row.stale) throw new AppError("IDEMPOTENCY_KEY_IN_USE", "The request with this key is still running; retry shortly");
    await tx.update(idempotencyKeys).set({ lockedAt: sql`now()` }).where(where);
    return { kind: "new", contributionId: row.contributionId };
  });
}

async function releaseKey(db: Db, userId: string, key: string, forget: boolean) {
  const where = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));
  // Forget only a key that made no contribution: a retry that took the key over may have made one meanwhile.
  if (forget) await db.delete(idempotencyKeys).where(and(where, isNull(idempotencyKeys.contributionId)));
  else await db.update(idempotencyKeys).set({ lockedAt: null }).where(where);
}

/**
 * Refuse, before anything is recorded or sent to the provider, an amount (app minor units) the provider cannot
 * charge (lib/money/currency.ts `chargeProblem`, Stripe's rules) or above the configured `maxAmount`:
 * AMOUNT_OUT_OF_RANGE (400) below the minimum or above a maximum, AMOUNT_NOT_CHARGEABLE (400) when not a multiple
 * of the currency's step (KWD, BHD, JOD, OMR, TND: a multiple of 10), CURRENCY_NOT_SUPPORTED (422) for a currency
 * the provider cannot charge at all.
 */
export function checkAmount(input: Pick<ContributeInput, "amount" | "currency">, maxAmount: number) {
  const problem = chargeProblem(input.amount, input.currency);
  if (problem?.code === "CURRENCY_NOT_SUPPORTED") {
    throw new AppError("CURRENCY_NOT_SUPPORTED", problem.message, [{ field: "currency", message: "cannot be charged" }]);
  }
  const limits = problem?.limits ?? chargeLimits(input.currency);
  const max = Math.min(maxAmount, limits.max);
  if (problem?.code === "AMOUNT_TOO_SMALL" || problem?.code === "AMOUNT_TOO_LARGE" || input.amount > max) {
    throw new AppError(
      "AMOUNT_OUT_OF_RANGE",
      `The amount must be between ${limits.min} and ${max} minor units of ${input.currency} (${formatMoney(limits.min, input.currency)} to ${formatMoney(max, input.currency)})`,
      [{ field: "amount", message: `must be between ${limits.min} and ${max}` }],
    );
  }
  if (problem) {
    throw new AppError("AMOUNT_NOT_CHARGEABLE", problem.message, [
      { field: "amount", message: `must be a multiple of ${limits.step}` },
    ]);
  }
}

/**
 * Phase 1: the campaign must take money in this currency; the pending contribution is recorded with the key, in
 * one statement (the key's update is a CTE of the insert: both or neither, no transaction round trips), which
 * answers the new row. With `input.subscribeToUpdates` the same statement also subscribes the contributor to the
 * campaign's updates (campaign_subscriptions, a second CTE; on conflict nothing): no statement more on the hot path.
 */
async function recordPending(
  db: Db,
  user: PublicUser,
  campaignId: string,
  key: string,
  input: ContributeInput,
  provider: string,
  attempt: { clientIp?: string; cardFingerprint?: string },
) {
  const campaign = await getCampaignTerms(db, campaignId, user);
  if (!acceptsContributions(campaign, new Date())) {
    throw new AppError("CAMPAIGN_CLOSED", "This campaign is not accepting contributions");
  }
  if (campaign.currency !== input.currency) {
    throw new AppError("CURRENCY_MISMATCH", `This campaign collects ${campaign.currency}`, [
      { field: "currency", message: `must be ${campaign.currency}` },
    ]);
  }
  const id = uuidv7();
  const keyed = db.$with("keyed").as(
    db
      .update(idempotencyKeys)
      .set({ contributionId: id })
      .where(and(eq(idempotencyKeys.userId, user.id), eq(idempotencyKeys.key, key)))
      .returning({ key: idempotencyKeys.key }),
  );
  // A data-modifying CTE runs whether or not the statement reads it (PostgreSQL, "WITH Queries").
  const subscribed = db
    .$with("subscribed")
    .as(
      db
        .insert(campaignSubscriptions)
        .values({ campaignId, userId: user.id })
        .onConflictDoNothing()
        .returning({ userId: campaignSubscriptions.userId }),
    );
  const [row] = await (input.subscribeToUpdates ? db.with(keyed, subscribed) : db.with(keyed))
    .insert(contributions)
    .values({
      id,
      campaignId,
      contributorId: user.id,
      amount: input.amount,
      currency: input.currency,
      message: input.message || null,
      anonymous: input.anonymous,
      paymentMethod: input.paymentMethod,
      provider,
      clientIp: attempt.clientIp ?? null,
      cardFingerprint: attempt.cardFingerprint ?? null,
    })
    .returning();
  if (!row) throw new Error("contribution insert returned nothing");
  return row;
}

/**
 * POST /api/campaigns/{id}/contributions. Same user + key + body → the same
 * response; a crash or provider outage mid-way is resumed by a retry with the
 * same key, and the provider call itself carries an idempotency key derived from
 * the contribution ID, so nothing is ever charged twice. Before anything is written or sent to the provider, an
 * attempt by a user, client IP or card with too many recent declines is refused: CARD_TESTING_SUSPECTED (429,
 * Retry-After; lib/payments/card-testing.ts). A decline this call sees is counted there.
 */
export async function contribute(
  db: Db,
  deps: ContributeDeps,
  p: {
    user: PublicUser;
    campaignId: string;
    key: string;
    input: ContributeInput;
    /** The app's public origin (lib/http/public-url): the payer's way back after authentication starts there. */
    publicOrigin: string;
    /** The client's IP (lib/auth/ratelimit `clientIp`), counted against card testing. */
    clientIp?: string;
  },
): Promise<ContributeResult> {
  checkAmount(p.input, deps.maxAmount);
  if (!isUuid(p.campaignId)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  const cardFingerprint = await deps.provider.cardFingerprint(p.input.paymentMethod);
  await refuseCardTesting(deps.cardTesting, { userId: p.user.id, ip: p.clientIp, fingerprint: cardFingerprint });
  const claim = await claimKey(db, p.user.id, p.key, requestHash(p.campaignId, p.input));
  if (claim.kind === "replay") return { status: claim.status, body: claim.body, replayed: true };

  // The new row as its insert answered it; a resumed one (a retry that took the key over) is read.
  let c: Row | undefined;
  if (!claim.contributionId) {
    try {
      c = await recordPending(db, p.user, p.campaignId, p.key, p.input, deps.provider.name, {
        clientIp: p.clientIp,
        cardFingerprint,
      });
    } catch (err) {
      // Nothing happened: forget the key, so the client may fix the request and reuse it.
      await releaseKey(db, p.user.id, p.key, true);
      throw err;
    }
  } else [c] = await db.select().from(contributions).where(eq(contributions.id, claim.contributionId));
  if (!c) throw new Error("contribution vanished");
  const contributionId = c.id;
  let done: Row | undefined = c;
  let payment: ProviderPayment | undefined;
  if (c.status === "pending") {
    try {
      payment = await deps.provider.createPayment({
        contributionId: c.id,
        campaignId: c.campaignId,
        amount: c.amount,
        currency: c.currency,
        paymentMethod: c.paymentMethod,
        idempotencyKey: paymentIdempotencyKey(c.id),
        returnUrl: contributionReturnUrl(p.publicOrigin, c.campaignId, c.id),
      });
      const answered = payment;
      // The answer, made from the row as the settlement left it (locked, then updated, in its transaction: no read
      // after it), is stored for the key in the same transaction: committed with the settlement, one commit less.
      let body: ContributionDto | undefined;
      const settled = await settlePayment(db, {
        provider: deps.provider.name,
        payment,
        feeBps: deps.feeBps,
        declines: deps.cardTesting,
        alsoInTransaction: async (tx, row) => {
          body = toContributionDto(row, answered);
          await storeAnswer(tx, p.user.id, p.key, body);
        },
      });
      if (body) return { status: 201, body, replayed: false };
      // A settlement that found no row (it cannot: the row is ours) leaves it to be read and the answer to be stored.
      done = settled.contribution;
    } catch (err) {
      await releaseKey(db, p.user.id, p.key, false); // keep the contribution: a retry resumes it
      if (err instanceof ProviderUnavailableError) {
        throw new AppError(
          "PAYMENT_PROVIDER_UNAVAILABLE",
          "The payment provider is unavailable; retry with the same Idempotency-Key",
        );
      }
      throw err;
    }
  }

  if (!done) [done] = await db.select().from(contributions).where(eq(contributions.id, contributionId));
  if (!done) throw new Error("contribution vanished");
  const body = toContributionDto(done, payment);
  await storeAnswer(db, p.user.id, p.key, body);
  return { status: 201, body, replayed: false };
}

/** Keep `body` as the answer (201) to `userId`'s `key` and release the key: its retries are replays from now on. */
async function storeAnswer(db: Db, userId: string, key: string, body: ContributionDto): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: 201, responseBody: body, lockedAt: null })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

/** How often one process asks the provider about one pending contribution on its contributor's reads (ms). */
const ASK_EVERY_MS = 2000;
const lastAsked = new Map<string, number>();

/**
 * A contribution's current state, for its contributor only (CONTRIBUTION_NOT_FOUND for anyone else). A pending
 * one is asked about at the provider (at most every 2 s per process) and settled with the answer, so the payer
 * coming back from authentication, or waiting on a webhook that never comes, sees the truth; while it requires
 * action the answer carries its client secret and next action. A provider outage answers what we know.
 */
export async function getOwnContribution(
  db: Db,
  deps: Pick<ContributeDeps, "provider" | "feeBps" | "reconcile">,
  user: PublicUser,
  id: string,
): Promise<ContributionDto> {
  const [c] = isUuid(id) ? await db.select().from(contributions).where(eq(contributions.id, id)) : [];
  if (!c || c.contributorId !== user.id) throw new AppError("CONTRIBUTION_NOT_FOUND", "No such contribution");
  const now = Date.now();
  if (c.status !== "pending" || now - (lastAsked.get(c.id) ?? 0) < ASK_EVERY_MS) return toContributionDto(c);
  lastAsked.set(c.id, now);
  if (lastAsked.size > 10_000) for (const [k, t] of lastAsked) if (now - t > ASK_EVERY_MS) lastAsked.delete(k);
  const { payment } = await reconcileContribution(db, deps, c);
  const [fresh] = await db.select().from(contributions).where(eq(contributions.id, c.id));
  return toContributionDto(fresh ?? c, payment);
}

/** What a campaign's contribution lists need of it: its ID, and its dates to read only the months of its life. */
export type CampaignLife = { id: string; createdAt: string | Date; endedAt?: string | Date | null };

/**
 * Slack around a campaign's dates for its contributions' IDs (ms): a week, for instances' clocks (a UUIDv7 generator
 * that once saw its clock ahead keeps stamping that time until the clock catches up). It costs at most one more
 * month's probe on each side.
 */
const CLOCK_SLACK_MS = 7 * 86_400_000;

/**
 * Conditions on `contributions.id` that every contribution of `campaign` meets, so that a campaign's list reads
 * only the monthly partitions of its life (docs/partitioning.md) instead of probing each month's index: a
 * contribution's UUIDv7 ID is made when it is (`recordPending`, the only place that makes contributions), so after
 * the campaign was created, and before it ended if it has (an ended campaign takes none). A contribution put in by
 * hand with an ID of another kind (a v4 UUID, say) may be left out of the lists; the app makes none.
 */
export function withinCampaignLife(campaign: CampaignLife) {
  const created = new Date(campaign.createdAt).getTime();
  const ended = campaign.endedAt == null ? undefined : new Date(campaign.endedAt).getTime();
  return [
    gte(contributions.id, uuidTimeFloor(Math.max(0, created - CLOCK_SLACK_MS))),
    ended === undefined ? undefined : lt(contributions.id, uuidTimeFloor(ended + CLOCK_SLACK_MS)),
  ];
}

/**
 * The statement behind listCampaignContributions: `limit` + 1 paid contributions of `campaign` not fully refunded,
 * newest first, after `cursor`, with the donor's name, bounded to the months of the campaign's life. Exported so
 * that a test can read its plan (tests/contract/partitioning.test.ts).
 */
export function campaignContributionsQuery(db: Db, p: { campaign: CampaignLife; limit: number; cursor?: string }) {
  return db
    .select({
      id: contributions.id,
      amount: contributions.amount,
      refundedAmount: contributions.refundedAmount,
      currency: contributions.currency,
      message: contributions.message,
      anonymous: contributions.anonymous,
      createdAt: contributions.createdAt,
      name: users.name,
    })
    .from(contributions)
    .innerJoin(users, eq(users.id, contributions.contributorId))
    .where(
      and(
        eq(contributions.campaignId, p.campaign.id),
        inArray(contributions.status, STANDING_STATUSES), // a fully refunded gift is gone
        p.cursor ? lt(contributions.id, p.cursor) : undefined,
        ...withinCampaignLife(p.campaign),
      ),
    )
    .orderBy(desc(contributions.id))
    .limit(p.limit + 1);
}

/**
 * Paid contributions of a campaign not fully refunded (the amount each still gives), newest first, keyset-paginated (`cursor`: the last ID of
 * the previous page). `campaign` is the caller's read of it for the viewer (readCampaign, which
 * answers CAMPAIGN_NOT_FOUND for unknown IDs and others' drafts): it is not read again here.
 */
export async function listCampaignContributions(
  db: Db,
  p: { campaign: CampaignDto; limit: number; cursor?: string },
): Promise<{ items: PublicContribution[]; nextCursor: string | null }> {
  const rows = await campaignContributionsQuery(db, p);
  const { page, nextCursor } = keysetPage(rows, p.limit, (r) => r.id);
  return {
    items: page.map((r) => ({
      id: r.id,
      name: r.anonymous ? "Anonymous" : r.name,
      amount: r.amount - r.refundedAmount, // what the campaign keeps: a partial refund shows the rest
      currency: r.currency,
      message: r.message,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor,
  };
}

/** A contribution as its campaign's creator (or an admin) sees it: every status, the donor's anonymity kept. */
export interface OwnerContribution {
  id: string;
  /** The donor's name, or "Anonymous" when the donor chose it (the creator does not see who). */
  name: string;
  anonymous: boolean;
  amount: number;
  currency: string;
  status: Row["status"];
  refundedAmount: number;
  message: string | null;
  createdAt: string;
  /** The open dispute of this contribution (its amount is held), or null. */
  openDispute: { id: string; amount: number; status: string } | null;
}

export interface OwnerContributionPage {
  campaign: { id: string; title: string; currency: string };
  items: OwnerContribution[];
  nextCursor: string | null;
}

/**
 * The campaign `campaignId` ({ id, title, currency }) when `viewer` may see all its contributions: its creator or an
 * admin. Throws AppError CAMPAIGN_NOT_FOUND for anyone else (and for a malformed or unknown ID), so a campaign's
 * existence is not told to those who may not see its contributions.
 */
export async function campaignForOwner(
  db: Db,
  viewer: PublicUser,
  campaignId: string,
): Promise<{ id: string; title: string; currency: string; createdAt: Date; endedAt: Date | null }> {
  if (!isUuid(campaignId)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  const [campaign] = await db
    .select({
      id: campaigns.id,
      title: campaigns.title,
      currency: campaigns.currency,
      creatorId: campaigns.creatorId,
      createdAt: campaigns.createdAt,
      endedAt: campaigns.endedAt,
    })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  if (!campaign || (viewer.role !== "admin" && viewer.id !== campaign.creatorId))
    throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  const { creatorId: _, ...seen } = campaign;
  return seen;
}

/**
 * A campaign's contributions (all statuses), newest first, keyset-paginated (`cursor`: the last ID of
 * the previous page), for the campaign's creator or an admin. CAMPAIGN_NOT_FOUND for anyone else, so a
 * campaign's existence is not told to those who may not see its contributions.
 */
export async function listCampaignContributionsForOwner(
  db: Db,
  viewer: PublicUser,
  campaignId: string,
  p: { limit: number; cursor?: string },
): Promise<OwnerContributionPage> {
  const campaign = await campaignForOwner(db, viewer, campaignId);
  const cursor = p.cursor && isUuid(p.cursor) ? p.cursor : undefined;
  const rows = await db
    .select({
      id: contributions.id,
      amount: contributions.amount,
      currency: contributions.currency,
      status: contributions.status,
      refundedAmount: contributions.refundedAmount,
      message: contributions.message,
      anonymous: contributions.anonymous,
      createdAt: contributions.createdAt,
      name: users.name,
    })
    .from(contributions)
    .innerJoin(users, eq(users.id, contributions.contributorId))
    .where(
      and(
        eq(contributions.campaignId, campaignId),
        cursor ? lt(contributions.id, cursor) : undefined,
        ...withinCampaignLife(campaign),
      ),
    )
    .orderBy(desc(contributions.id))
    .limit(p.limit + 1);
  const { page, nextCursor } = keysetPage(rows, p.limit, (r) => r.id);
  const open = page.length
    ? await db
        .select({ id: disputes.id, contributionId: disputes.contributionId, amount: disputes.amount, status: disputes.status })
        .from(disputes)
        .where(
          and(
            inArray(
              disputes.contributionId,
              page.map((r) => r.id),
            ),
            isNull(disputes.outcome),
          ),
        )
    : [];
  const disputeOf = new Map(open.map((d) => [d.contributionId, { id: d.id, amount: d.amount, status: d.status }]));
  return {
    campaign: { id: campaign.id, title: campaign.title, currency: campaign.currency },
    items: page.map((r) => ({
      id: r.id,
      name: r.anonymous ? "Anonymous" : r.name,
      anonymous: r.anonymous,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      refundedAmount: r.refundedAmount,
      message: r.message,
      createdAt: r.createdAt.toISOString(),
      openDispute: disputeOf.get(r.id) ?? null,
    })),
    nextCursor,
  };
}

/** One of the signed-in user's own contributions, with its campaign and what was refunded of it. */
export interface OwnContribution extends ContributionDto {
  campaign: { id: string; title: string };
  /** Its refunds, newest first (pending, succeeded and failed ones). */
  refunds: RefundDto[];
}

/**
 * The user's own contributions (all statuses), newest first, keyset-paginated (`cursor`: the last ID
 * of the previous page), each with its campaign's title and its refunds.
 */
export async function listOwnContributions(
  db: Db,
  user: PublicUser,
  p: { limit: number; cursor?: string },
): Promise<{ items: OwnContribution[]; nextCursor: string | null }> {
  const cursor = p.cursor && isUuid(p.cursor) ? p.cursor : undefined;
  const rows = await db
    .select({ c: contributions, title: campaigns.title })
    .from(contributions)
    .innerJoin(campaigns, eq(campaigns.id, contributions.campaignId))
    .where(and(eq(contributions.contributorId, user.id), cursor ? lt(contributions.id, cursor) : undefined))
    .orderBy(desc(contributions.id))
    .limit(p.limit + 1);
  const { page, nextCursor } = keysetPage(rows, p.limit, (r) => r.c.id);
  const refundRows = page.length
    ? await db
        .select()
        .from(refunds)
        .where(
          inArray(
            refunds.contributionId,
            page.map((r) => r.c.id),
          ),
        )
        .orderBy(desc(refunds.id))
    : [];
  const refundsOf = new Map<string, RefundDto[]>();
  for (const r of refundRows) refundsOf.set(r.contributionId, [...(refundsOf.get(r.contributionId) ?? []), toRefundDto(r)]);
  return {
    items: page.map((r) => ({
      ...toContributionDto(r.c),
      campaign: { id: r.c.campaignId, title: r.title },
      refunds: refundsOf.get(r.c.id) ?? [],
    })),
    nextCursor,
  };
}
