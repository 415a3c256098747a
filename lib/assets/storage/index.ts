import path from "node:path";
import { services } from "@/lib/app";
import type { Config } from "@/lib/config";
import type { AssetStorage } from "../types";
import { diskStorage } from "./disk";
import { s3Storage } from "./s3";
import { uploadthingStorage } from "./uploadthing";

/** The storage `c` names (ASSET_STORAGE); the composition root makes the process's one. */
export function createAssetStorage(c: Config): AssetStorage {
  let s: AssetStorage;
  if (c.ASSET_STORAGE === "s3") {
    s = s3Storage({
      bucket: c.S3_BUCKET as string,
      region: c.S3_REGION,
      endpoint: c.S3_ENDPOINT,
      forcePathStyle: c.S3_FORCE_PATH_STYLE,
      credentials:
        c.S3_ACCESS_KEY_ID && c.S3_SECRET_ACCESS_KEY
          ? { accessKeyId: c.S3_ACCESS_KEY_ID, secretAccessKey: c.S3_SECRET_ACCESS_KEY }
          : undefined,
      prefix: c.S3_PREFIX,
    });
  } else if (c.ASSET_STORAGE === "uploadthing") {
    s = uploadthingStorage({
      token: c.UPLOADTHING_TOKEN as string,
      apiUrl: c.UPLOADTHING_API_URL,
      ingestUrl: c.UPLOADTHING_INGEST_URL,
      ufsHost: c.UPLOADTHING_UFS_HOST,
    });
  } else {
    // a run-time directory, not a source path: keep Next's file tracing out of it
    s = diskStorage(path.resolve(/* turbopackIgnore: true */ c.ASSET_DIR ?? path.join(c.DATA_DIR, "assets")));
  }
  return s;
}

/** The process's asset storage (lib/app `services().assetStorage`). */
export function assetStorage(): AssetStorage {
  return services().assetStorage;
}
