import { and, desc, eq, lt } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import { campaigns, users } from "@/db/schema";
import { assetsOf } from "@/lib/assets/queries";
import type { AssetDto } from "@/lib/assets/schemas";
import { AppError } from "@/lib/errors";
import { appendEvent } from "@/lib/events/outbox";
import { markReportsActioned, recordAdminAction } from "@/lib/moderation/audit";
import { isChargeable } from "@/lib/money/currency";
import type { PublicUser } from "@/lib/users";
import type { CampaignDto, CloseForAbuseInput, CreateCampaignInput, UpdateCampaignInput } from "./schemas";
import { contentEditable, movesFor, type StatusSubject } from "./status";

export type Row = Omit<typeof campaigns.$inferSelect, "fundedDecile"> & { creatorName: string };

export const selectColumns = {
  id: campaigns.id,
  creatorId: campaigns.creatorId,
  title: campaigns.title,
  story: campaigns.story,
  goalAmount: campaigns.goalAmount,
  currency: campaigns.currency,
  collectedAmount: campaigns.collectedAmount,
  contributionCount: campaigns.contributionCount,
  heldAmount: campaigns.heldAmount,
  payoutsFrozenAt: campaigns.payoutsFrozenAt,
  closedForAbuseAt: campaigns.closedForAbuseAt,
  closedForAbuseReason: campaigns.closedForAbuseReason,
  status: campaigns.status,
  statusReason: campaigns.statusReason,
  endedAt: campaigns.endedAt,
  endedBy: campaigns.endedBy,
  endsAt: campaigns.endsAt,
  createdAt: campaigns.createdAt,
  updatedAt: campaigns.updatedAt,
  creatorName: users.name,
};

export function toDto(r: Row, assets: AssetDto[] = []): CampaignDto {
  return {
    id: r.id,
    title: r.title,
    story: r.story,
    goalAmount: r.goalAmount,
    currency: r.currency,
    collectedAmount: r.collectedAmount,
    contributionCount: r.contributionCount,
    heldAmount: r.heldAmount,
    status: r.status,
    closedForAbuse: r.closedForAbuseAt !== null,
    endsAt: r.endsAt?.toISOString() ?? null,
    endedAt: r.endedAt?.toISOString() ?? null,
    endedBy: r.endedBy,
    // The creator's words to their donors are public; an admin's reasons are for the creator and admins (statusReason).
    endReason: r.status === "ended" && r.endedBy === "creator" ? r.statusReason : null,
    createdAt: r.createdAt.toISOString(),
    creator: { id: r.creatorId, name: r.creatorName },
    assets,
  };
}

/** Insert a campaign; the returned promise resolves only after the commit. */
export async function createCampaign(db: Db, creator: PublicUser, input: CreateCampaignInput): Promise<CampaignDto> {
  if (!isChargeable(input.currency)) {
    // A real ISO 4217 code (the schema checked that) the payment provider cannot charge in: nobody could contribute.
    throw new AppError(
      "CURRENCY_NOT_SUPPORTED",
      `Campaigns cannot collect ${input.currency}: the payment provider cannot charge in it`,
      [{ field: "currency", message: "is not a currency the payment provider can charge" }],
    );
  }
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(campaigns)
      .values({
        id: uuidv7(),
        creatorId: creator.id,
        title: input.title,
        story: input.story,
        goalAmount: input.goalAmount,
        currency: input.currency,
        status: input.status,
        endsAt: input.endsAt ? new Date(input.endsAt) : null,
      })
      .returning();
    if (!inserted) throw new Error("campaign insert returned nothing");
    await appendEvent(tx, {
      type: "campaign.created",
      partitionKey: inserted.id,
      payload: { campaignId: inserted.id, creatorId: creator.id, status: inserted.status },
    });
    return inserted;
  });
  return toDto({ ...row, creatorName: creator.name });
}

async function withAssets(db: Db, row: Row): Promise<CampaignDto> {
  return toDto(row, (await assetsOf(db, [row.id])).get(row.id));
}

async function findRow(db: Db, id: string): Promise<Row | undefined> {
  if (!isUuid(id)) return undefined; // a malformed ID is simply "not found", never a database error
  const [row] = await db
    .select(selectColumns)
    .from(campaigns)
    .innerJoin(users, eq(users.id, campaigns.creatorId))
    .where(eq(campaigns.id, id));
  return row;
}

/** Who may see a campaign: anyone once published; drafts only their creator (and admins). */
function visibleTo(row: Pick<Row, "status" | "creatorId">, viewer: PublicUser | undefined): boolean {
  if (row.status !== "draft") return true;
  return viewer !== undefined && (viewer.id === row.creatorId || viewer.role === "admin");
}

/** A campaign as anyone may see it: the DTO when published, "draft" when only its creator may, undefined when unknown. */
export async function getPublicCampaign(db: Db, id: string): Promise<CampaignDto | "draft" | undefined> {
  const row = await findRow(db, id);
  if (!row) return undefined;
  return row.status === "draft" ? "draft" : withAssets(db, row);
}

export async function getCampaign(db: Db, id: string, viewer?: PublicUser): Promise<CampaignDto> {
  const row = await findRow(db, id);
  if (!row || !visibleTo(row, viewer)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  return withAssets(db, row);
}

/**
 * What a contribution needs to know of a campaign (lib/payments/contributions.ts): whether it takes money
 * (`acceptsContributions` reads status and endsAt) and in which currency. One indexed read of five columns,
 * without the creator's name and the assets the full DTO carries (two statements fewer per contribution).
 * CAMPAIGN_NOT_FOUND as `getCampaign` answers it: unknown ID, or a draft `viewer` may not see.
 */
export async function getCampaignTerms(
  db: Db,
  id: string,
  viewer?: PublicUser,
): Promise<Pick<CampaignDto, "status" | "currency" | "endsAt"> & { creatorId: string }> {
  const [row] = isUuid(id)
    ? await db
        .select({
          status: campaigns.status,
          creatorId: campaigns.creatorId,
          currency: campaigns.currency,
          endsAt: campaigns.endsAt,
        })
        .from(campaigns)
        .where(eq(campaigns.id, id))
    : [];
  if (!row || !visibleTo(row, viewer)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  return { status: row.status, creatorId: row.creatorId, currency: row.currency, endsAt: row.endsAt?.toISOString() ?? null };
}

/** A locked row as the status rules read it. */
function subjectOf(row: typeof campaigns.$inferSelect): StatusSubject {
  return {
    status: row.status,
    creatorId: row.creatorId,
    endsAt: row.endsAt?.toISOString() ?? null,
    endedBy: row.endedBy,
    closedForAbuse: row.closedForAbuseAt !== null,
  };
}

/**
 * PATCH /api/campaigns/{id} (and the edit page's and owner panel's server actions): change a campaign's content
 * (its creator; draft or active only) and/or move it to another status as lib/campaigns/status.ts `movesFor`
 * allows, with the move's `reason` (required to suspend, optional to end). Ending records when and by whom;
 * a reopening or reinstatement clears that and the reason; the current status again with a `reason` rewords it
 * (FORBIDDEN unless the actor gave that kind of reason: an admin for a suspension or an admin's end, the creator
 * for their own end). In one transaction with a `campaign.updated` event.
 * Throws CAMPAIGN_NOT_FOUND (unknown ID, or a draft the actor may not see), FORBIDDEN (neither creator nor
 * admin; an admin editing content), CURRENCY_IMMUTABLE, CAMPAIGN_CLOSED (content of a suspended or ended
 * campaign), INVALID_STATUS_TRANSITION (a move `movesFor` does not allow, such as reopening past the end date).
 * A change made with an admin's powers (suspend, reinstate, end a suspended campaign, reword an admin's reason)
 * writes one admin audit log row in the same transaction (docs/moderation.md); a suspension marks the campaign's
 * open reports `actioned`.
 */
export async function updateCampaign(db: Db, actor: PublicUser, id: string, input: UpdateCampaignInput): Promise<CampaignDto> {
  return db.transaction(async (tx) => {
    if (!isUuid(id)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
    const [locked] = await tx.select().from(campaigns).where(eq(campaigns.id, id)).for("update");
    if (!locked) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
    const isCreator = locked.creatorId === actor.id;
    const isAdmin = actor.role === "admin";
    if (!isCreator && !isAdmin) {
      // a draft stays invisible to others: same answer as an unknown ID
      if (locked.status === "draft") throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
      throw new AppError("FORBIDDEN", "Only the campaign's creator can change it");
    }
    if (input.currency !== undefined && input.currency !== locked.currency) {
      throw new AppError("CURRENCY_IMMUTABLE", "A campaign's currency cannot change", [
        { field: "currency", message: `stays ${locked.currency}` },
      ]);
    }
    const editsContent =
      input.title !== undefined || input.story !== undefined || input.goalAmount !== undefined || input.endsAt !== undefined;
    if (editsContent && !isCreator) throw new AppError("FORBIDDEN", "Only the campaign's creator can edit its content");
    if (editsContent && !contentEditable(locked.status)) {
      throw new AppError(
        "CAMPAIGN_CLOSED",
        locked.status === "suspended" ? "A suspended campaign cannot be edited" : "An ended campaign cannot be edited",
      );
    }
    const now = new Date();
    const to = input.status !== locked.status ? input.status : undefined; // the move asked for, if any
    // The same status again with a reason rewords it, by whoever may give that reason: an admin a suspension or
    // their own end, the creator their own end.
    const rewords = !to && input.status !== undefined && input.reason !== undefined;
    if (rewords && !(locked.status === "ended" && locked.endedBy === "creator" ? isCreator : isAdmin)) {
      throw new AppError(
        "FORBIDDEN",
        `Only ${locked.status === "ended" && locked.endedBy === "creator" ? "the campaign's creator" : "an admin"} can reword this reason`,
      );
    }
    if (to && !movesFor(subjectOf(locked), actor, now).includes(to)) {
      throw new AppError("INVALID_STATUS_TRANSITION", `Cannot move a campaign from ${locked.status} to ${input.status}`, [
        { field: "status", message: `not allowed from ${locked.status}` },
      ]);
    }
    await tx
      .update(campaigns)
      .set({
        title: input.title,
        story: input.story,
        goalAmount: input.goalAmount,
        endsAt: input.endsAt === undefined ? undefined : input.endsAt === null ? null : new Date(input.endsAt),
        status: input.status,
        // A move records its reason (an admin ending a suspension without one keeps the suspension's) and, to
        // ended, when and by whom; moving back to active clears them.
        ...(to
          ? {
              statusReason: input.reason ?? (to === "ended" && locked.status === "suspended" ? undefined : null),
              endedAt: to === "ended" ? now : null,
              endedBy: to === "ended" ? (locked.status === "suspended" ? ("admin" as const) : ("creator" as const)) : null,
            }
          : rewords
            ? { statusReason: input.reason }
            : {}),
        // A suspension freezes the campaign's payouts until an admin reinstates it; ending a suspended
        // campaign keeps them frozen (its money may have to go back: docs/payouts.md).
        payoutsFrozenAt:
          input.status === "suspended" && locked.status !== "suspended"
            ? new Date()
            : input.status === "active" && locked.status === "suspended"
              ? null
              : undefined,
        updatedAt: now,
      })
      .where(eq(campaigns.id, id));
    // An admin's power used (a suspension, a reinstatement, an end or a reason of an admin's, or any move on a
    // campaign not theirs) is written to the audit log in this transaction; a suspension acts on the open reports.
    const adminAct = adminActionOf(locked.status, to, rewords, isCreator, isAdmin);
    if (adminAct) {
      const actioned = to === "suspended" ? await markReportsActioned(tx, id, actor) : 0;
      await recordAdminAction(tx, {
        actor,
        action: adminAct,
        subjectType: "campaign",
        subjectId: id,
        details: {
          from: locked.status,
          to: input.status ?? locked.status,
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(actioned ? { reportsActioned: actioned } : {}),
        },
      });
    }
    const row = await findRow(tx, id);
    if (!row) throw new Error("campaign vanished inside its own transaction");
    await appendEvent(tx, {
      type: "campaign.updated",
      partitionKey: id,
      payload: { campaignId: id, changed: Object.keys(input), status: row.status },
    });
    return withAssets(tx, row);
  });
}

/**
 * The audit log's name for a status change made with an admin's powers (docs/moderation.md), or undefined when
 * the change is the creator's own: a suspension, anything done to a suspended campaign (reinstate, end), a
 * reason reworded by an admin, and any move by an admin on a campaign that is not theirs.
 */
function adminActionOf(
  from: string,
  to: string | undefined,
  rewords: boolean,
  isCreator: boolean,
  isAdmin: boolean,
): string | undefined {
  if (!isAdmin) return undefined;
  const adminPower = !isCreator || to === "suspended" || from === "suspended";
  if (!adminPower) return undefined;
  if (to === "suspended") return "campaign.suspend";
  if (to === "active") return from === "suspended" ? "campaign.reinstate" : "campaign.activate";
  if (to === "ended") return "campaign.end";
  if (to) return `campaign.${to}`;
  return rewords ? "campaign.reword" : undefined;
}

/**
 * POST /api/campaigns/{id}/close-for-abuse (and `npm run cli -- campaigns close-for-abuse`): record, in one
 * transaction with a `campaign.updated` event (changed ["status", "closedForAbuse"]), that the campaign is
 * closed for abuse: status ended, payouts frozen for good (`payoutsFrozenAt` kept if a suspension set it),
 * `closedForAbuseAt` and `reason`. The refunds themselves are the close-for-abuse job's
 * (`closeForAbuseRefunds` in ./abuse, run by the CLI or the scheduler role). `actor`: an admin, or null for
 * the platform itself (the operator's CLI). Idempotent: closing a campaign already closed for abuse changes
 * nothing (the first reason stays) and returns it as it is. Closes a campaign in any status, an ended one too.
 * Closing also marks the campaign's open reports `actioned` and writes one "campaign.close_for_abuse" row to
 * the admin audit log (actor null for the CLI), in the same transaction.
 * Throws CAMPAIGN_NOT_FOUND (unknown ID, or a draft the actor may not see), FORBIDDEN (not an admin).
 */
export async function closeCampaignForAbuse(
  db: Db,
  actor: PublicUser | null,
  id: string,
  input: CloseForAbuseInput,
): Promise<CampaignDto> {
  return db.transaction(async (tx) => {
    if (!isUuid(id)) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
    const [locked] = await tx.select().from(campaigns).where(eq(campaigns.id, id)).for("update");
    if (!locked) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
    if (actor && actor.role !== "admin") {
      if (locked.status === "draft" && locked.creatorId !== actor.id)
        throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
      throw new AppError("FORBIDDEN", "Only an admin can close a campaign for abuse");
    }
    if (!locked.closedForAbuseAt) {
      const now = new Date();
      await tx
        .update(campaigns)
        .set({
          status: "ended",
          endedAt: locked.status === "ended" ? undefined : now,
          endedBy: "admin",
          payoutsFrozenAt: locked.payoutsFrozenAt ?? now,
          closedForAbuseAt: now,
          closedForAbuseReason: input.reason,
          updatedAt: now,
        })
        .where(eq(campaigns.id, id));
      const actioned = await markReportsActioned(tx, id, actor);
      await recordAdminAction(tx, {
        actor,
        action: "campaign.close_for_abuse",
        subjectType: "campaign",
        subjectId: id,
        details: { from: locked.status, reason: input.reason, ...(actioned ? { reportsActioned: actioned } : {}) },
      });
      await appendEvent(tx, {
        type: "campaign.updated",
        partitionKey: id,
        payload: { campaignId: id, changed: ["status", "closedForAbuse"], status: "ended" },
      });
    }
    const row = await findRow(tx, id);
    if (!row) throw new Error("campaign vanished inside its own transaction");
    return withAssets(tx, row);
  });
}

/**
 * Why a campaign is in its current status (an admin's suspension or end reason, the creator's end reason), for
 * the campaign's creator and admins only: undefined for anyone else, an unknown ID, or when no reason was given.
 */
export async function statusReasonFor(db: Db, id: string, viewer: PublicUser | undefined): Promise<string | undefined> {
  const row = await findRow(db, id);
  if (!row || !viewer || (viewer.id !== row.creatorId && viewer.role !== "admin")) return undefined;
  return row.statusReason ?? undefined;
}

/** The creator's own campaigns, newest first, keyset-paginated on the time-ordered ID. */
export async function listCreatorCampaigns(
  db: Db,
  p: { creatorId: string; limit: number; cursor?: string },
): Promise<{ items: CampaignDto[]; nextCursor: string | null }> {
  const rows = await db
    .select(selectColumns)
    .from(campaigns)
    .innerJoin(users, eq(users.id, campaigns.creatorId))
    .where(and(eq(campaigns.creatorId, p.creatorId), p.cursor ? lt(campaigns.id, p.cursor) : undefined))
    .orderBy(desc(campaigns.id))
    .limit(p.limit + 1);
  const { page, nextCursor } = keysetPage(rows, p.limit, (r) => r.id);
  const assets = await assetsOf(
    db,
    page.map((r) => r.id),
  );
  return { items: page.map((r) => toDto(r, assets.get(r.id))), nextCursor };
}
