import { openAsBlob } from "node:fs";
import { UTApi, UTFile } from "uploadthing/server";
import { type AssetStorage, assertKey } from "../types";

/** Our storage key as an UploadThing customId (one path segment: slashes become "--"). */
export function utCustomId(key: string): string {
  assertKey(key);
  return key.replaceAll("/", "--");
}
const customId = utCustomId;

export interface UploadThingOptions {
  token: string;
  /** Overrides for tests against a local server speaking UploadThing's protocol. */
  apiUrl?: string;
  ingestUrl?: string;
  ufsHost?: string;
}

/** The app ID inside an UPLOADTHING_TOKEN (base64 JSON `{ apiKey, appId, regions }`). */
export function tokenAppId(token: string): string {
  try {
    const t = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { appId?: unknown };
    if (typeof t.appId === "string" && t.appId) return t.appId;
  } catch {}
  throw new Error("UPLOADTHING_TOKEN is not a valid UploadThing token (base64 JSON with apiKey, appId, regions)");
}

/**
 * UploadThing (the design card's choice on Vercel) through the `uploadthing` server SDK.
 * Our key is the file's customId (slashes as "--": custom IDs are one path segment), so
 * objects are addressed by our own keys like the other adapters; reads go to the file host.
 */
export function uploadthingStorage(o: UploadThingOptions): AssetStorage {
  const appId = tokenAppId(o.token);
  const local = o.ufsHost?.includes("local") ?? false;
  const utapi = new UTApi({
    token: o.token,
    apiUrl: o.apiUrl,
    ingestUrl: o.ingestUrl,
    ufsHost: o.ufsHost,
    ufsAppIdLocation: local ? "path" : "subdomain",
    defaultKeyType: "customId",
    logLevel: "Error",
  });
  const fileUrl = (key: string) =>
    o.ufsHost
      ? `${local ? "http" : "https"}://${local ? `${o.ufsHost}/a/${appId}` : `${appId}.${o.ufsHost}`}/f/${customId(key)}`
      : `https://${appId}.ufs.sh/f/${customId(key)}`;
  return {
    name: "uploadthing",
    async put(key, src) {
      // A file-backed Blob: the SDK streams it from disk into its multipart PUT.
      const blob = await openAsBlob(src.path, { type: src.contentType });
      const file = new UTFile([blob], key.split("/").at(-1) as string, { type: src.contentType, customId: customId(key) });
      const r = await utapi.uploadFiles(file);
      if (r.error) throw new Error(`UploadThing upload failed: ${r.error.code} ${r.error.message}`);
    },
    async get(key, range) {
      const res = await fetch(fileUrl(key), { headers: range ? { range: `bytes=${range.start}-${range.end}` } : {} });
      if (res.status === 404) return undefined;
      if (!res.ok || !res.body) throw new Error(`UploadThing file host answered ${res.status}`);
      const total = res.headers.get("content-range")?.split("/")[1] ?? res.headers.get("content-length");
      return { body: res.body, size: Number(total) };
    },
    async delete(key) {
      await utapi.deleteFiles(customId(key), { keyType: "customId" });
    },
    async *list(prefix) {
      const want = prefix.replaceAll("/", "--");
      for (let offset = 0; ; ) {
        const page = await utapi.listFiles({ limit: 500, offset });
        for (const f of page.files) {
          if (f.customId?.startsWith(want)) yield { key: f.customId.replaceAll("--", "/"), lastModified: new Date(f.uploadedAt) };
        }
        if (!page.hasMore || page.files.length === 0) return;
        offset += page.files.length;
      }
    },
  };
}
