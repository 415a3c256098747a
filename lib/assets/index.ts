import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { and, count, eq, gt, sql, sum } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { assets, campaigns, campaignUpdates, users } from "@/db/schema";
import { contentEditable } from "@/lib/campaigns/status";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { appendEvent } from "@/lib/events/outbox";
import { logger } from "@/lib/log";
import type { PublicUser } from "@/lib/users";
import { prepareImage, VARIANT_FORMATS, VARIANT_VERSION, VARIANTS, type VariantFormat, type VariantName } from "./images";
import { type AssetRow, assetsOf, toAssetDto } from "./queries";
import type { AssetDto } from "./schemas";
import { type Limits, type Spooled, spoolMultipart, spoolStream, tooLarge } from "./spool";
import type { AssetStorage, DetectedType } from "./types";
import { probeVideo } from "./video";

export type { AssetRow } from "./queries";
export { assetsOf, assetUrl, toAssetDto } from "./queries";

export function limits(): Limits {
  const c = config();
  return { image: c.ASSET_MAX_IMAGE_BYTES, video: c.ASSET_MAX_VIDEO_BYTES };
}

const campaignNotFound = () => new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
const assetNotFound = () => new AppError("ASSET_NOT_FOUND", "No asset with this ID");

type CampaignRow = typeof campaigns.$inferSelect;

/** Only a campaign's creator changes its pictures and videos (invariant 7, docs/architecture.md). */
function assertWriter(c: CampaignRow | undefined, actor: PublicUser): CampaignRow {
  if (!c) throw campaignNotFound();
  if (c.creatorId !== actor.id) {
    if (c.status === "draft") throw campaignNotFound(); // a draft stays invisible to others
    throw new AppError("FORBIDDEN", "Only the campaign's creator can change its pictures and videos");
  }
  if (!contentEditable(c.status)) throw new AppError("CAMPAIGN_CLOSED", "An ended campaign cannot be edited");
  return c;
}

async function lockCampaign(tx: Db, actor: PublicUser, campaignId: string): Promise<CampaignRow> {
  if (!isUuid(campaignId)) throw campaignNotFound();
  const [c] = await tx.select().from(campaigns).where(eq(campaigns.id, campaignId)).for("update");
  return assertWriter(c, actor);
}

async function assetCount(db: Db, campaignId: string): Promise<number> {
  const [r] = await db.select({ n: count() }).from(assets).where(eq(assets.campaignId, campaignId));
  return r?.n ?? 0;
}

function assertRoom(n: number) {
  const max = config().ASSET_MAX_PER_CAMPAIGN;
  if (n >= max)
    throw new AppError("ASSET_LIMIT_REACHED", `A campaign may have at most ${max} pictures and videos; remove one first`);
}

/** Bytes the pictures and videos of `userId` take in storage, over all their campaigns (assets_owner_idx). */
export async function storageUsed(db: Db, userId: string): Promise<number> {
  const [r] = await db
    .select({ bytes: sum(assets.size).mapWith(Number) })
    .from(assets)
    .where(eq(assets.ownerId, userId));
  return r?.bytes ?? 0;
}

/**
 * The per-user storage quota (STORAGE_QUOTA_BYTES_PER_USER, docs/security.md): throws AppError
 * STORAGE_QUOTA_EXCEEDED (413) when `incoming` more bytes would take `used` past it.
 */
function assertQuota(used: number, incoming: number) {
  const quota = config().STORAGE_QUOTA_BYTES_PER_USER;
  if (used + incoming > quota) {
    throw new AppError(
      "STORAGE_QUOTA_EXCEEDED",
      `Your pictures and videos would take more than ${quota} bytes (${used} used); remove some first`,
      [{ field: "file", message: `${incoming} bytes do not fit in the ${Math.max(0, quota - used)} bytes left` }],
    );
  }
}

/**
 * Refuse a write before reading any upload bytes: unknown campaign (404), not the creator (403), ended or
 * full (409), or `incomingBytes` (the declared size; 1 when unknown) past the user's storage quota (413).
 * The quota is checked again, under a lock, when the asset is committed.
 */
export async function authorizeAssetWrite(db: Db, actor: PublicUser, campaignId: string, incomingBytes = 1): Promise<void> {
  if (!isUuid(campaignId)) throw campaignNotFound();
  const [c] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  assertWriter(c, actor);
  assertRoom(await assetCount(db, campaignId));
  assertQuota(await storageUsed(db, actor.id), incomingBytes);
}

interface Prepared {
  path: string;
  size: number;
  sha256: string;
  type: DetectedType;
  width: number | null;
  height: number | null;
  durationSeconds: number | null;
}

/** Measure a spooled upload and strip pictures' metadata; refuse what does not decode or play. */
async function prepare(s: Spooled): Promise<Prepared> {
  const base = { path: s.path, size: s.size, sha256: s.sha256, type: s.type };
  if (s.type.kind === "image") {
    const format = s.type.ext === "jpg" ? "jpeg" : s.type.ext;
    const facts = await prepareImage(s.path, format, path.join(path.dirname(s.path), `clean.${s.type.ext}`));
    return { ...base, ...(facts.rewritten ?? {}), width: facts.width, height: facts.height, durationSeconds: null };
  }
  const info = await probeVideo(s.path, s.type.mime);
  if (!info) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `The ${s.type.ext.toUpperCase()} video is damaged or incomplete`, [
      { field: "file", message: "is not a playable video" },
    ]);
  }
  return { ...base, ...info };
}

const storageKey = (campaignId: string, id: string, ext: string) => `c/${campaignId}/${id}.${ext}`;
const uploadKey = (campaignId: string, id: string) => `u/${campaignId}/${id}`;
export const variantKey = (key: string, name: VariantName, format: VariantFormat) =>
  `${key}.v${VARIANT_VERSION}-${name}.${format}`;

/** Every key an asset occupies in storage: the original and its possible variants. */
function allKeys(r: Pick<AssetRow, "storageKey" | "kind">): string[] {
  if (r.kind !== "image") return [r.storageKey];
  const names = Object.keys(VARIANTS) as VariantName[];
  return [r.storageKey, ...names.flatMap((n) => VARIANT_FORMATS.map((f) => variantKey(r.storageKey, n, f)))];
}

async function removeObjects(storage: AssetStorage, keys: string[]) {
  for (const key of keys) {
    await storage.delete(key).catch((err) => logger().warn({ err: String(err), key }, "could not delete an asset object"));
  }
}

/**
 * Insert the row for an object already in storage, re-checking the campaign's room and the user's storage
 * quota under locks (user row, then campaign row); if anything fails, the object goes.
 */
async function commitAsset(
  db: Db,
  storage: AssetStorage,
  actor: PublicUser,
  campaignId: string,
  id: string,
  key: string,
  p: Prepared,
): Promise<AssetDto> {
  try {
    return await db.transaction(async (tx) => {
      // The user's row is the quota's lock: two uploads of one user (any campaigns, any instance) commit one
      // after the other, each seeing the other's size. NO KEY UPDATE leaves inserts referencing the user alone.
      await tx.select({ id: users.id }).from(users).where(eq(users.id, actor.id)).for("no key update");
      await lockCampaign(tx, actor, campaignId);
      const n = await assetCount(tx, campaignId);
      assertRoom(n);
      assertQuota(await storageUsed(tx, actor.id), p.size);
      const [row] = await tx
        .insert(assets)
        .values({
          id,
          campaignId,
          ownerId: actor.id,
          storage: storage.name,
          storageKey: key,
          kind: p.type.kind,
          contentType: p.type.mime,
          size: p.size,
          width: p.width,
          height: p.height,
          durationSeconds: p.durationSeconds,
          sha256: p.sha256,
          position: n,
        })
        .returning();
      await appendEvent(tx, {
        type: "campaign.updated",
        partitionKey: campaignId,
        payload: { campaignId, changed: ["assets"], assetId: id },
      });
      return toAssetDto(row as AssetRow);
    });
  } catch (err) {
    await removeObjects(storage, [key]);
    throw err;
  }
}

/**
 * `POST /api/campaigns/{id}/assets`: check the writer, stream the multipart body to a
 * temporary file (type and size checked as it arrives), measure and clean it, store it,
 * and commit its row. Whatever fails on the way leaves no row, no object and no temporary file.
 */
export async function uploadAsset(db: Db, storage: AssetStorage, actor: PublicUser, campaignId: string, req: Request) {
  await authorizeAssetWrite(db, actor, campaignId);
  const spooled = await spoolMultipart(req, limits());
  try {
    const prepared = await prepare(spooled);
    const id = uuidv7();
    const key = storageKey(campaignId, id, prepared.type.ext);
    await storage.put(key, { path: prepared.path, size: prepared.size, contentType: prepared.type.mime });
    return await commitAsset(db, storage, actor, campaignId, id, key, prepared);
  } finally {
    await spooled.cleanup();
  }
}

export async function deleteAsset(
  db: Db,
  storage: AssetStorage,
  actor: PublicUser,
  assetId: string,
): Promise<{ campaignId: string }> {
  if (!isUuid(assetId)) throw assetNotFound();
  const row = await db.transaction(async (tx) => {
    const [a] = await tx.select().from(assets).where(eq(assets.id, assetId));
    if (!a) throw assetNotFound();
    try {
      await lockCampaign(tx, actor, a.campaignId);
    } catch (err) {
      // someone else's draft: its assets do not exist for this caller either
      if (err instanceof AppError && err.code === "CAMPAIGN_NOT_FOUND") throw assetNotFound();
      throw err;
    }
    // A campaign update that showed this picture keeps its words and loses the picture (campaign_updates.asset_id).
    await tx.update(campaignUpdates).set({ assetId: null }).where(eq(campaignUpdates.assetId, assetId));
    const [gone] = await tx.delete(assets).where(eq(assets.id, assetId)).returning();
    if (!gone) throw assetNotFound(); // deleted meanwhile
    await tx
      .update(assets)
      .set({ position: sql`${assets.position} - 1` })
      .where(and(eq(assets.campaignId, a.campaignId), gt(assets.position, gone.position)));
    await appendEvent(tx, {
      type: "campaign.updated",
      partitionKey: a.campaignId,
      payload: { campaignId: a.campaignId, changed: ["assets"], assetId },
    });
    return gone;
  });
  // After the commit: a crash here leaves objects without a row (never a row without its object).
  await removeObjects(storage, allKeys(row));
  return { campaignId: row.campaignId };
}

export async function reorderAssets(db: Db, actor: PublicUser, campaignId: string, order: string[]): Promise<AssetDto[]> {
  return db.transaction(async (tx) => {
    await lockCampaign(tx, actor, campaignId);
    const current = await tx.select({ id: assets.id }).from(assets).where(eq(assets.campaignId, campaignId));
    const known = new Set(current.map((r) => r.id));
    if (new Set(order).size !== order.length || order.length !== known.size || !order.every((id) => known.has(id))) {
      throw new AppError("VALIDATION_FAILED", "List every asset of the campaign exactly once", [
        { field: "order", message: `must be a permutation of the campaign's ${known.size} asset IDs` },
      ]);
    }
    for (const [position, id] of order.entries()) {
      await tx.update(assets).set({ position }).where(eq(assets.id, id));
    }
    await appendEvent(tx, { type: "campaign.updated", partitionKey: campaignId, payload: { campaignId, changed: ["assets"] } });
    return (await assetsOf(tx, [campaignId])).get(campaignId) ?? [];
  });
}

/** An asset with what serving needs to know about its campaign. */
export interface ServableAsset extends AssetRow {
  campaignStatus: CampaignRow["status"];
  creatorId: string;
}

export async function findServableAsset(db: Db, id: string): Promise<ServableAsset | undefined> {
  if (!isUuid(id)) return undefined;
  const [r] = await db
    .select({ a: assets, campaignStatus: campaigns.status, creatorId: campaigns.creatorId })
    .from(assets)
    .innerJoin(campaigns, eq(campaigns.id, assets.campaignId))
    .where(eq(assets.id, id));
  return r ? { ...r.a, campaignStatus: r.campaignStatus, creatorId: r.creatorId } : undefined;
}

// used by ./direct (presigned uploads)
export { commitAsset, prepare, removeObjects, spoolStream, storageKey, tooLarge, uploadKey };
export const webToNode = (s: ReadableStream<Uint8Array>) => Readable.fromWeb(s as unknown as NodeWebStream<Uint8Array>);
