import { createUploadthing, type FileRouter, UTFiles } from "uploadthing/next";
import { UploadThingError } from "uploadthing/server";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import { db } from "@/lib/app";
import { currentUser } from "@/lib/auth/session";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { AppError } from "@/lib/errors";
import { publicError } from "@/lib/http";
import { findUserById } from "@/lib/users";
import { adoptUpload } from "./direct";
import { authorizeAssetWrite, uploadKey } from "./index";
import { assetStorage } from "./storage";
import { utCustomId } from "./storage/uploadthing";

const f = createUploadthing();

/**
 * UploadThing's upload flow (ASSET_STORAGE=uploadthing, the design card's choice on Vercel,
 * whose functions cap request bodies at 4.5 MB): the browser asks /api/uploadthing for
 * presigned URLs (middleware: signed in, creator of the campaign, room left), uploads
 * straight to UploadThing under the customId of our `u/{campaign}/{id}` key, and
 * UploadThing calls /api/uploadthing back. The SDK verifies that callback's HMAC with the
 * token's API key (the signing secret) before onUploadComplete adopts the file through the
 * same checks as any upload; a refused file is deleted and its reason returned as serverData.
 */
export const uploadRouter = {
  campaignAsset: f(
    { image: { maxFileSize: "16MB", maxFileCount: 10 }, video: { maxFileSize: "256MB", maxFileCount: 10 } },
    { awaitServerData: true },
  )
    .input(z.object({ campaignId: z.uuid() }))
    .middleware(async ({ req, input, files }) => {
      const user = await currentUser(req).catch(() => undefined);
      if (!user) throw new UploadThingError({ code: "FORBIDDEN", message: "Sign in first" });
      try {
        // the declared sizes against the storage quota now; the adoption re-checks the real ones under a lock
        await authorizeAssetWrite(
          db(),
          user,
          input.campaignId,
          files.reduce((n, f) => n + f.size, 0),
        );
      } catch (err) {
        if (err instanceof AppError) throw new UploadThingError({ code: "FORBIDDEN", message: err.message });
        throw err;
      }
      const ids = files.map(() => uuidv7());
      return {
        userId: user.id,
        campaignId: input.campaignId,
        ids,
        [UTFiles]: files.map((file, i) => ({ ...file, customId: utCustomId(uploadKey(input.campaignId, ids[i] as string)) })),
      };
    })
    .onUploadComplete(async ({ metadata, file }) => {
      const id = metadata.ids.find((i) => file.customId === utCustomId(uploadKey(metadata.campaignId, i)));
      const actor = await findUserById(db(), metadata.userId);
      if (!id || !actor) return { error: { code: "UPLOAD_NOT_FOUND", message: "Unknown upload" } };
      try {
        const asset = await adoptUpload(db(), assetStorage(), actor, metadata.campaignId, id);
        await invalidateCampaigns([metadata.campaignId]);
        return { asset };
      } catch (err) {
        // an AppError as it is, the database down as DATABASE_UNAVAILABLE, anything else a logged INTERNAL_ERROR
        const e = publicError(err, { fileKey: file.key, during: "adopting an UploadThing upload" });
        return { error: { code: e.code, message: e.message } };
      }
    }),
} satisfies FileRouter;

export type UploadRouter = typeof uploadRouter;
