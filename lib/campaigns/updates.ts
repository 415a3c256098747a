import { and, desc, eq, lt } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import { assets, campaigns, campaignUpdates, users } from "@/db/schema";
import { assetUrl } from "@/lib/assets/queries";
import { AppError } from "@/lib/errors";
import { appendEvent } from "@/lib/events/outbox";
import type { PublicUser } from "@/lib/users";
import type { CampaignUpdateDto, CampaignUpdatePage, PostUpdateInput } from "./schemas";

/**
 * Campaign updates: the creator's news to the campaign's followers (docs/updates.md). Posting one appends
 * `campaign.update_posted` in the same transaction; the mail consumer turns that event into one email per
 * subscribed donor (`campaign_subscriptions`), so an update and its emails exist together or not at all.
 */

const notFound = () => new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");

/**
 * POST /api/campaigns/{id}/updates (and the campaign page's form, `postUpdateAction`): the campaign's creator posts
 * an update, `input.body` (1–5000 characters of plain text, line breaks kept) with an optional picture
 * (`input.assetId`, an image asset of the same campaign). Only the creator: admins moderate campaigns (suspend, end,
 * close for abuse) but do not speak for them, as with the campaign's content and pictures (lib/campaigns
 * `updateCampaign`). In one transaction: the campaign row is read `FOR SHARE` (a concurrent suspension waits for
 * the post, or the post sees it), the update inserted, and `campaign.update_posted` appended (partition key: the
 * campaign's ID), from which the mail consumer emails the campaign's subscribers.
 * Throws CAMPAIGN_NOT_FOUND (unknown ID; someone else's draft), FORBIDDEN (not the creator), CAMPAIGN_NOT_PUBLISHED
 * (a draft: nobody could read it yet), CAMPAIGN_CLOSED (suspended, or closed for abuse: it cannot change),
 * VALIDATION_FAILED on `assetId` (not a picture of this campaign). An ended campaign may still post (a thank-you).
 */
export async function postCampaignUpdate(
  db: Db,
  actor: PublicUser,
  campaignId: string,
  input: PostUpdateInput,
): Promise<CampaignUpdateDto> {
  if (!isUuid(campaignId)) throw notFound();
  return db.transaction(async (tx) => {
    const [c] = await tx
      .select({ creatorId: campaigns.creatorId, status: campaigns.status, closedForAbuseAt: campaigns.closedForAbuseAt })
      .from(campaigns)
      .where(eq(campaigns.id, campaignId))
      .for("share");
    if (!c) throw notFound();
    if (c.creatorId !== actor.id) {
      if (c.status === "draft") throw notFound(); // a draft stays invisible to others
      throw new AppError("FORBIDDEN", "Only the campaign's creator can post its updates");
    }
    if (c.status === "draft")
      throw new AppError("CAMPAIGN_NOT_PUBLISHED", "Publish the campaign before posting updates: nobody can read a draft's");
    if (c.status === "suspended") throw new AppError("CAMPAIGN_CLOSED", "A suspended campaign cannot post updates");
    if (c.closedForAbuseAt) throw new AppError("CAMPAIGN_CLOSED", "A campaign closed by the platform cannot post updates");
    let picture: CampaignUpdateDto["picture"] = null;
    if (input.assetId) {
      const [a] = await tx
        .select({ id: assets.id, campaignId: assets.campaignId, kind: assets.kind, width: assets.width, height: assets.height })
        .from(assets)
        .where(eq(assets.id, input.assetId));
      if (!a || a.campaignId !== campaignId || a.kind !== "image") {
        throw new AppError("VALIDATION_FAILED", "The picture must be one of this campaign's pictures", [
          { field: "assetId", message: "is not a picture of this campaign" },
        ]);
      }
      picture = { assetId: a.id, url: assetUrl(a.id), width: a.width, height: a.height };
    }
    const id = uuidv7();
    const [row] = await tx
      .insert(campaignUpdates)
      .values({ id, campaignId, authorId: actor.id, body: input.body, assetId: input.assetId ?? null })
      .returning({ createdAt: campaignUpdates.createdAt });
    if (!row) throw new Error("campaign update insert returned nothing");
    await appendEvent(tx, {
      type: "campaign.update_posted",
      partitionKey: campaignId,
      payload: { campaignId, updateId: id, authorId: actor.id },
    });
    return {
      id,
      campaignId,
      author: { id: actor.id, name: actor.name },
      body: input.body,
      picture,
      createdAt: row.createdAt.toISOString(),
    };
  });
}

/**
 * A campaign's updates, newest first, keyset-paginated on the UUIDv7 ID (`cursor`: the previous page's
 * `nextCursor`; index campaign_updates_campaign_idx (campaign_id, id)). Reads no campaign: the caller has checked the
 * viewer may see it (readCampaign answers CAMPAIGN_NOT_FOUND for unknown IDs and others' drafts). A malformed
 * cursor is the first page (the API validates it before).
 */
export async function listCampaignUpdates(
  db: Db,
  campaignId: string,
  p: { limit: number; cursor?: string },
): Promise<CampaignUpdatePage> {
  const cursor = p.cursor && isUuid(p.cursor) ? p.cursor : undefined;
  const rows = await db
    .select({
      id: campaignUpdates.id,
      campaignId: campaignUpdates.campaignId,
      authorId: campaignUpdates.authorId,
      authorName: users.name,
      body: campaignUpdates.body,
      assetId: assets.id,
      width: assets.width,
      height: assets.height,
      createdAt: campaignUpdates.createdAt,
    })
    .from(campaignUpdates)
    .innerJoin(users, eq(users.id, campaignUpdates.authorId))
    .leftJoin(assets, eq(assets.id, campaignUpdates.assetId))
    .where(and(eq(campaignUpdates.campaignId, campaignId), cursor ? lt(campaignUpdates.id, cursor) : undefined))
    .orderBy(desc(campaignUpdates.id))
    .limit(p.limit + 1);
  const { page, nextCursor } = keysetPage(rows, p.limit, (r) => r.id);
  return {
    items: page.map((r) => ({
      id: r.id,
      campaignId: r.campaignId,
      author: { id: r.authorId, name: r.authorName },
      body: r.body,
      picture: r.assetId ? { assetId: r.assetId, url: assetUrl(r.assetId), width: r.width, height: r.height } : null,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor,
  };
}
