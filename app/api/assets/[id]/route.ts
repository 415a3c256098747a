import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { deleteAsset } from "@/lib/assets";
import { variantQuerySchema } from "@/lib/assets/schemas";
import { forgetAsset, serveOriginal, serveVariant, visibleAsset } from "@/lib/assets/serve";
import { assetStorage } from "@/lib/assets/storage";
import { currentUser, requireUser } from "@/lib/auth/session";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { methodNotAllowed, operation, validationError } from "@/lib/http";

type P = { id: string };

/** The bytes of an asset (Range → 206, If-None-Match → 304), or `?variant=thumb|card|hero[&format=avif|webp]` of a picture. */
export const GET = operation(API.getAsset, async (req, { id }: P) => {
  const q = variantQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const { asset, cacheControl } = await visibleAsset(db(), id, () => currentUser(req));
  if (q.data.variant) return serveVariant(req, assetStorage(), asset, cacheControl, q.data.variant, q.data.format);
  return serveOriginal(req, assetStorage(), asset, cacheControl);
});

/** The headers of GET without the bytes (players and CDNs probe with it). */
export const HEAD = GET;

/** Remove an asset (creator only): its row at once, its objects right after. */
export const DELETE = operation(API.deleteAsset, async (req, { id }: P) => {
  const user = await requireUser(req);
  const { campaignId } = await deleteAsset(db(), assetStorage(), user, id);
  forgetAsset(id);
  await invalidateCampaigns([campaignId]);
  return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH } = methodNotAllowed(["GET", "DELETE"]);
