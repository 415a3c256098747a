import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { completeDirectUpload } from "@/lib/assets/direct";
import { assetStorage } from "@/lib/assets/storage";
import { requireUser } from "@/lib/auth/session";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { json, methodNotAllowed, operation } from "@/lib/http";

/** Complete a presigned upload: the object is checked like any upload, then becomes an asset (201). */
export const POST = operation(API.completeDirectUpload, async (req, { id, uploadId }: { id: string; uploadId: string }) => {
  const user = await requireUser(req);
  const token = new URL(req.url).searchParams.get("token");
  const asset = await completeDirectUpload(db(), assetStorage(), user, id, uploadId, token);
  await invalidateCampaigns([id]);
  return json(asset, { status: 201, headers: { "cache-control": "no-store", location: asset.url } });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
