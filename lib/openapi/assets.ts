/** OpenAPI paths of the asset service (merged into the document by ./index). */
type Helpers = {
  ref: (id: string) => { $ref: string };
  jsonBody: (id: string) => object;
  errors: (...codes: number[]) => Record<string, object>;
  idParam: object;
};

export function assetPaths({ ref, jsonBody, errors, idParam }: Helpers) {
  const assetList = {
    content: {
      "application/json": { schema: { type: "object", properties: { items: { type: "array", items: ref("Asset") } } } },
    },
  };
  const binary = (types: string[]) => Object.fromEntries(types.map((t) => [t, { schema: { type: "string", format: "binary" } }]));
  return {
    "/api/campaigns/{id}/assets": {
      post: {
        summary: "Upload a picture or video to a campaign (creator only)",
        description:
          "multipart/form-data with the file in the field `file`, streamed. The type comes from the file's bytes (JPEG, PNG, WebP, GIF, AVIF; MP4, WebM), never its name or declared type: anything else is a 415. Size limits per kind (ASSET_MAX_IMAGE_BYTES, default 10 MB; ASSET_MAX_VIDEO_BYTES, default 200 MB) answer 413 as soon as they are passed. Pictures lose their EXIF/XMP/IPTC metadata (GPS positions). A refused or interrupted upload leaves nothing behind.",
        parameters: [idParam],
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: { type: "object", required: ["file"], properties: { file: { type: "string", format: "binary" } } },
            },
          },
        },
        responses: {
          "201": { description: "Stored (committed)", ...jsonBody("Asset") },
          ...errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
      },
      get: {
        summary: "A campaign's pictures and videos in display order (the first picture is the cover)",
        security: [],
        parameters: [idParam],
        responses: { "200": { description: "The assets", ...assetList }, ...errors(404, 429) },
      },
      patch: {
        summary: "Reorder a campaign's assets (creator only)",
        parameters: [idParam],
        requestBody: { required: true, ...jsonBody("ReorderAssets") },
        responses: { "200": { description: "The new order", ...assetList }, ...errors(400, 401, 403, 404, 409, 415, 429) },
      },
    },
    "/api/campaigns/{id}/assets/uploads": {
      post: {
        summary: "Where to upload a file of this size",
        description:
          "S3 storage and a file of ASSET_DIRECT_UPLOAD_BYTES or more: a presigned PUT straight to the bucket plus a completeUrl to POST afterwards. UploadThing storage: UploadThing's client flow at /api/uploadthing (route campaignAsset). Otherwise: the multipart POST.",
        parameters: [idParam],
        requestBody: { required: true, ...jsonBody("DirectUploadRequest") },
        responses: {
          "200": { description: "The upload target", ...jsonBody("DirectUpload") },
          ...errors(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    "/api/campaigns/{id}/assets/uploads/{uploadId}": {
      post: {
        summary: "Complete a presigned upload: the object is checked like any upload, then becomes an asset",
        parameters: [
          idParam,
          { name: "uploadId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
          { name: "token", in: "query", required: true, schema: { type: "string" }, description: "from completeUrl" },
        ],
        responses: { "201": { description: "Stored", ...jsonBody("Asset") }, ...errors(401, 403, 404, 409, 413, 415) },
      },
    },
    "/api/assets/{id}": {
      get: {
        summary: "An asset's bytes, or a resized variant of a picture",
        description:
          "Strong ETag (304 on If-None-Match), Range (206/416), X-Content-Type-Options: nosniff, Cache-Control public for shared caches once the campaign is published (drafts' assets: their creator only, private). `variant` gives a picture at most 320 (thumb), 800 (card) or 1600 (hero) pixels wide as AVIF or WebP (`format`, else negotiated from Accept), made once and kept.",
        security: [],
        parameters: [
          idParam,
          { name: "variant", in: "query", schema: { type: "string", enum: ["thumb", "card", "hero"] } },
          { name: "format", in: "query", schema: { type: "string", enum: ["avif", "webp"] } },
          { name: "Range", in: "header", schema: { type: "string", example: "bytes=0-1023" } },
        ],
        responses: {
          "200": { description: "The bytes", content: binary(["image/*", "video/mp4", "video/webm"]) },
          "206": { description: "A byte range", content: binary(["video/mp4", "video/webm"]) },
          "304": { description: "Not modified" },
          "416": { description: "Range not satisfiable" },
          ...errors(400, 404),
        },
      },
      delete: {
        summary: "Remove an asset (creator only)",
        parameters: [idParam],
        responses: { "204": { description: "Removed" }, ...errors(401, 403, 404, 409) },
      },
    },
  };
}
