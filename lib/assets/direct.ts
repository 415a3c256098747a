import { createHmac } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { equalSecrets } from "@/lib/auth/equal-secrets";
import { authSecret } from "@/lib/auth/options";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { PublicUser } from "@/lib/users";
import {
  authorizeAssetWrite,
  commitAsset,
  limits,
  prepare,
  removeObjects,
  spoolStream,
  storageKey,
  tooLarge,
  uploadKey,
  webToNode,
} from "./index";
import type { AssetDto } from "./schemas";
import { type AssetStorage, isObjectChanged } from "./types";

/**
 * Large files skip the app (serverless bodies are capped at a few MB): the browser PUTs
 * them straight to the bucket with a presigned URL under `u/{campaign}/{id}`, then asks
 * us to complete. Completion reads the object back through the same checks as a direct
 * upload (type from the bytes, size limit, decode/probe, metadata stripping) before it is
 * moved to its final key and gets its row; anything refused is deleted.
 * With UploadThing the browser uses UploadThing's own upload flow instead (lib/assets/uploadthing-router.ts),
 * whose signed callback adopts the file the same way.
 * The completion URL carries an HMAC of (campaign, upload, user, expiry): stateless, and
 * nobody else can complete someone's upload or adopt another object.
 */
const TTL_SECONDS = 15 * 60;

const sign = (campaignId: string, id: string, userId: string, expires: number) =>
  createHmac("sha256", authSecret()).update(`asset-upload:${campaignId}:${id}:${userId}:${expires}`).digest("base64url");

export async function startDirectUpload(
  db: Db,
  storage: AssetStorage,
  actor: PublicUser,
  campaignId: string,
  input: { size: number; contentType?: string },
) {
  await authorizeAssetWrite(db, actor, campaignId, input.size);
  const l = limits();
  if (input.size > Math.max(l.image, l.video)) throw tooLarge(l.image >= l.video ? "image" : "video", l);
  const viaApp = { method: "POST" as const, url: `/api/campaigns/${campaignId}/assets`, headers: {}, completeUrl: null };
  // UploadThing takes every file through its own client flow (/api/uploadthing), whatever its size
  if (storage.name === "uploadthing")
    return { method: "UPLOADTHING" as const, url: "/api/uploadthing", headers: {}, completeUrl: null };
  if (!storage.presignUpload || input.size < config().ASSET_DIRECT_UPLOAD_BYTES) return viaApp;
  const id = uuidv7();
  const expires = Math.floor(Date.now() / 1000) + TTL_SECONDS;
  const target = await storage.presignUpload(uploadKey(campaignId, id), {
    contentType:
      input.contentType && /^[\w.+-]+\/[\w.+-]+$/.test(input.contentType) ? input.contentType : "application/octet-stream",
    size: input.size,
    expiresInSeconds: TTL_SECONDS,
  });
  const token = `${expires}.${sign(campaignId, id, actor.id, expires)}`;
  return { ...target, completeUrl: `/api/campaigns/${campaignId}/assets/uploads/${id}?token=${token}` };
}

function verify(campaignId: string, id: string, userId: string, token: string | null) {
  const [exp, mac] = (token ?? "").split(".");
  const expires = Number(exp);
  if (!Number.isInteger(expires) || !equalSecrets(mac ?? "", sign(campaignId, id, userId, expires))) {
    throw new AppError("UPLOAD_NOT_FOUND", "No upload to complete with this ID and token");
  }
  // completion may come a little after the PUT URL expired; an hour later it may not
  if (expires + 3600 < Date.now() / 1000) throw new AppError("UPLOAD_NOT_FOUND", "This upload expired; upload the file again");
}

export async function completeDirectUpload(
  db: Db,
  storage: AssetStorage,
  actor: PublicUser,
  campaignId: string,
  id: string,
  token: string | null,
): Promise<AssetDto> {
  verify(campaignId, id, actor.id, token);
  return adoptUpload(db, storage, actor, campaignId, id);
}

/**
 * Turn an object uploaded straight to storage under `u/{campaign}/{id}` (presigned S3 PUT,
 * or UploadThing's own upload flow) into an asset, after the same checks as an upload
 * through the app. A refused or failed adoption deletes the object.
 */
export async function adoptUpload(
  db: Db,
  storage: AssetStorage,
  actor: PublicUser,
  campaignId: string,
  id: string,
): Promise<AssetDto> {
  const from = uploadKey(campaignId, id);
  let spooled: Awaited<ReturnType<typeof spoolStream>>;
  // The version of the object that is checked below; only this version may become the asset.
  let etag: string | undefined;
  try {
    await authorizeAssetWrite(db, actor, campaignId);
    const obj = await storage.get(from);
    if (!obj) throw new AppError("UPLOAD_NOT_FOUND", "Nothing was uploaded to this URL (or it was completed already)");
    etag = obj.etag;
    spooled = await spoolStream(webToNode(obj.body), limits());
  } catch (err) {
    await removeObjects(storage, [from]);
    throw err;
  }
  try {
    const prepared = await prepare(spooled);
    let key = from;
    if (prepared.path !== spooled.path || (storage.move && !etag)) {
      // The picture was rewritten without its metadata, or the storage cannot tell which version it moves:
      // store the checked bytes from the spool, drop the upload.
      key = storageKey(campaignId, id, prepared.type.ext);
      await storage.put(key, { path: prepared.path, size: prepared.size, contentType: prepared.type.mime });
      await removeObjects(storage, [from]);
    } else if (storage.move) {
      // Bound to the version checked: an object swapped in after the check is refused, never copied into place.
      key = storageKey(campaignId, id, prepared.type.ext);
      try {
        await storage.move(from, key, { ifMatch: etag });
      } catch (err) {
        if (isObjectChanged(err)) {
          await removeObjects(storage, [key]);
          throw new AppError("UPLOAD_CHANGED", "The uploaded file was replaced while it was being checked; upload it again");
        }
        throw err;
      }
    }
    return await commitAsset(db, storage, actor, campaignId, id, key, prepared);
  } catch (err) {
    await removeObjects(storage, [from]);
    throw err;
  } finally {
    await spooled.cleanup();
  }
}
