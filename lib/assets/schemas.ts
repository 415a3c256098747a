import { z } from "zod";

export const assetSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(["image", "video"]),
    contentType: z.string().describe("detected from the file's bytes"),
    size: z.number().int().describe("bytes"),
    url: z.string().describe("GET it; images also take ?variant=thumb|card|hero and &format=avif|webp"),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    durationSeconds: z.number().nullable().describe("videos only, when the container states it"),
    position: z.number().int().describe("0 is the cover"),
  })
  .meta({ id: "Asset" });

export const reorderAssetsSchema = z
  .strictObject({
    order: z.array(z.uuid()).min(1).max(1000).describe("every asset ID of the campaign, in the new order"),
  })
  .meta({ id: "ReorderAssets" });

export const directUploadRequestSchema = z
  .strictObject({
    size: z.number().int().positive().describe("bytes of the file to upload"),
    contentType: z.string().max(100).optional().describe("what the browser thinks it is (only signed, never trusted)"),
  })
  .meta({ id: "DirectUploadRequest" });

export const directUploadSchema = z
  .object({
    method: z
      .enum(["PUT", "POST", "UPLOADTHING"])
      .describe("UPLOADTHING: upload with UploadThing's client to `url` (route campaignAsset)"),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    completeUrl: z
      .string()
      .nullable()
      .describe("POST here after a PUT; null when the upload goes through the app (multipart field `file`)"),
  })
  .meta({ id: "DirectUpload" });

export const variantQuerySchema = z.object({
  variant: z.enum(["thumb", "card", "hero"]).optional(),
  format: z.enum(["avif", "webp"]).optional(),
});

export type AssetDto = z.infer<typeof assetSchema>;
