import { db } from "@/lib/app";
import { assetsOf, reorderAssets, uploadAsset } from "@/lib/assets";
import { reorderAssetsSchema } from "@/lib/assets/schemas";
import { assetStorage } from "@/lib/assets/storage";
import { enforceRateLimit } from "@/lib/auth/ratelimit";
import { currentUser, requireUser } from "@/lib/auth/session";
import { invalidateCampaigns, readCampaign } from "@/lib/cache/campaigns";
import { json, methodNotAllowed, readJson, route } from "@/lib/http";

// This path is outside proxy.ts (which would buffer the body in memory): the streamed upload
// applies the gateway's rate limit and answers with its own headers.
type P = { id: string };
const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/** Upload a picture or video (multipart/form-data, field `file`); creator only. */
export const POST = route<P>(async (req, { id }) => {
  await enforceRateLimit(req.headers);
  const user = await requireUser(req);
  const asset = await uploadAsset(db(), assetStorage(), user, id, req);
  await invalidateCampaigns([id]);
  return json(asset, { status: 201, headers: { ...headers, location: asset.url } });
});

/** The campaign's assets in display order (a draft's only for its creator). */
export const GET = route<P>(async (req, { id }) => {
  await enforceRateLimit(req.headers);
  const { isPublic } = await readCampaign(db(), id, () => currentUser(req)); // 404 unless the viewer may see it
  const items = (await assetsOf(db(), [id])).get(id) ?? [];
  return json({ items }, { headers: { ...headers, "cache-control": isPublic ? "no-cache" : "private, no-store" } });
});

/** Reorder: `{ "order": [every asset ID, cover first] }`. */
export const PATCH = route<P>(async (req, { id }) => {
  await enforceRateLimit(req.headers);
  const user = await requireUser(req);
  const { order } = await readJson(req, reorderAssetsSchema);
  const items = await reorderAssets(db(), user, id, order);
  await invalidateCampaigns([id]);
  return json({ items }, { headers });
});

export const { PUT, DELETE } = methodNotAllowed(["GET", "POST", "PATCH"]);
