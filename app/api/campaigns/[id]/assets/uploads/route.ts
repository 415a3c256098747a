import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { startDirectUpload } from "@/lib/assets/direct";
import { assetStorage } from "@/lib/assets/storage";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation } from "@/lib/http";

/** Where to send a file of this size: a presigned PUT to the bucket (large files, S3), or the multipart POST. */
export const POST = operation(API.createDirectUpload, async (req, { id }: { id: string }, { body }) => {
  const user = await requireUser(req);
  const input = await body();
  const target = await startDirectUpload(db(), assetStorage(), user, id, input);
  return json(target, { headers: { "cache-control": "no-store" } });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
