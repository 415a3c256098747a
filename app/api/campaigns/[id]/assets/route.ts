import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { assetsOf, reorderAssets, uploadAsset } from "@/lib/assets";
import { assetStorage } from "@/lib/assets/storage";
import { enforceRateLimit } from "@/lib/auth/ratelimit";
import { currentUser, requireUser } from "@/lib/auth/session";
import { invalidateCampaigns, readCampaign } from "@/lib/cache/campaigns";
import { json, methodNotAllowed, operation } from "@/lib/http";

// This path is outside proxy.ts (which would buffer the body in memory): the streamed upload
// applies the gateway's rate limit and answers with its own headers.
type P = { id: string };
const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/** Upload a picture or video (multipart/form-data, field `file`); creator only. */
export const POST = operation(API.uploadAsset, async (req, { id }: P) => {
  await enforceRateLimit(req.headers);
  const user = await requireUser(req);
  const asset = await uploadAsset(db(), assetStorage(), user, id, req);
  await invalidateCampaigns([id]);
  return json(asset, { status: 201, headers: { ...headers, location: asset.url } });
});

/** The campaign's assets in display order (a draft's only for its creator). */
export const GET = operation(API.listCampaignAssets, async (req, { id }: P) => {
  await enforceRateLimit(req.headers);
  const { isPublic } = await readCampaign(db(), id, () => currentUser(req)); // 404 unless the viewer may see it
  const items = (await assetsOf(db(), [id])).get(id) ?? [];
  return json({ items }, { headers: { ...headers, "cache-control": isPublic ? "no-cache" : "private, no-store" } });
});

/** Reorder: `{ "order": [every asset ID, cover first] }`. */
export const PATCH = operation(API.reorderCampaignAssets, async (req, { id }: P, { body }) => {
  await enforceRateLimit(req.headers);
  const user = await requireUser(req);
  const { order } = await body();
  const items = await reorderAssets(db(), user, id, order);
  await invalidateCampaigns([id]);
  return json({ items }, { headers });
});

export const { PUT, DELETE } = methodNotAllowed(["GET", "POST", "PATCH"]);
