import { asc, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { assets } from "@/db/schema";
import type { AssetDto } from "./schemas";

/** Reads of asset rows, kept apart from the upload pipeline so campaign reads load no sharp or busboy. */
export type AssetRow = typeof assets.$inferSelect;

export const assetUrl = (id: string) => `/api/assets/${id}`;

export function toAssetDto(r: AssetRow): AssetDto {
  return {
    id: r.id,
    kind: r.kind,
    contentType: r.contentType,
    size: r.size,
    url: assetUrl(r.id),
    width: r.width,
    height: r.height,
    durationSeconds: r.durationSeconds,
    position: r.position,
  };
}

/** The assets of some campaigns, in display order (position 0 is the cover). */
export async function assetsOf(db: Db, campaignIds: string[]): Promise<Map<string, AssetDto[]>> {
  const out = new Map<string, AssetDto[]>(campaignIds.map((id) => [id, []]));
  if (campaignIds.length === 0) return out;
  const rows = await db
    .select()
    .from(assets)
    .where(inArray(assets.campaignId, campaignIds))
    .orderBy(asc(assets.campaignId), asc(assets.position), asc(assets.id));
  for (const r of rows) out.get(r.campaignId)?.push(toAssetDto(r));
  return out;
}
