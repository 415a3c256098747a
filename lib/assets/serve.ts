import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Db } from "@/db/client";
import { services } from "@/lib/app";
import { AppError } from "@/lib/errors";
import { matches } from "@/lib/http/etag";
import type { PublicUser } from "@/lib/users";
import { makeVariant, VARIANT_VERSION, type VariantFormat, type VariantName } from "./images";
import { findServableAsset, type ServableAsset, spoolStream, variantKey, webToNode } from "./index";
import type { AssetStorage, ByteRange, StoredObject } from "./types";

/**
 * Published assets never change under their ID (a new picture is a new asset), so they are
 * served for shared caches: a day at the CDN, an hour in the browser, then a 304 against the
 * strong ETag (the SHA-256). A removed asset may linger in caches that long; purge the CDN
 * for urgent removals. Drafts' assets are private to their creator.
 */
export const PUBLIC_CACHE = "public, max-age=3600, s-maxage=86400, stale-while-revalidate=86400";
const PRIVATE_CACHE = "private, no-cache";

const notFound = () => new AppError("ASSET_NOT_FOUND", "No asset with this ID");

// Asset rows are immutable but for deletion and their campaign's status: a short-lived L1 spares the database.
const rows = () => services().assetRows;
export function forgetAsset(id: string) {
  rows().delete(id);
}

/** The row was seen but the bytes are gone: deleted meanwhile (another instance's row cache is up to 2 s old). */
function gone(id: string): AppError {
  forgetAsset(id);
  return notFound();
}

async function load(db: Db, id: string): Promise<ServableAsset | undefined> {
  const hit = rows().get(id);
  if (hit) return hit === "missing" ? undefined : hit;
  const row = await findServableAsset(db, id);
  rows().set(id, row ?? "missing");
  return row;
}

/** The asset if `viewer` may see it: anyone once its campaign is published; a draft's only its creator or an admin. */
export async function visibleAsset(
  db: Db,
  id: string,
  viewer: () => Promise<PublicUser | undefined>,
): Promise<{ asset: ServableAsset; cacheControl: string }> {
  const asset = await load(db, id);
  if (!asset) throw notFound();
  if (asset.campaignStatus !== "draft") return { asset, cacheControl: PUBLIC_CACHE };
  const v = await viewer();
  if (!v || (v.id !== asset.creatorId && v.role !== "admin")) throw notFound();
  return { asset, cacheControl: PRIVATE_CACHE };
}

/** Parse a single `bytes=` range against `size`; undefined → send it all; "unsatisfiable" → 416. */
export function parseRange(header: string | null, size: number): ByteRange | undefined | "unsatisfiable" {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // multiple or malformed ranges: ignore them (RFC 9110)
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

function headersFor(contentType: string, etag: string, cacheControl: string, vary?: string): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": contentType,
    etag,
    "cache-control": cacheControl,
    "x-content-type-options": "nosniff",
    "content-disposition": "inline",
    "content-security-policy": "default-src 'none'; sandbox",
  };
  if (vary) h.vary = vary;
  return h;
}

/** GET of an original: 304 on a matching If-None-Match, 206 for a satisfiable Range (videos seek), 416 otherwise. */
export async function serveOriginal(
  req: Request,
  storage: AssetStorage,
  a: ServableAsset,
  cacheControl: string,
): Promise<Response> {
  const etag = `"${a.sha256}"`;
  const headers = { ...headersFor(a.contentType, etag, cacheControl), "accept-ranges": "bytes" };
  if (matches(req.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  const ifRange = req.headers.get("if-range");
  const range = ifRange && ifRange !== etag ? undefined : parseRange(req.headers.get("range"), a.size);
  if (range === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${a.size}` } });
  }
  if (req.method === "HEAD") {
    // no storage read (Next.js drops Content-Length from bodiless responses; the rest stands)
    const length = range ? range.end - range.start + 1 : a.size;
    const extra: Record<string, string> = range ? { "content-range": `bytes ${range.start}-${range.end}/${a.size}` } : {};
    return new Response(null, { status: range ? 206 : 200, headers: { ...headers, ...extra, "content-length": String(length) } });
  }
  const obj = await storage.get(a.storageKey, range);
  if (!obj) throw gone(a.id);
  if (!range) return new Response(obj.body, { status: 200, headers: { ...headers, "content-length": String(a.size) } });
  return new Response(obj.body, {
    status: 206,
    headers: {
      ...headers,
      "content-range": `bytes ${range.start}-${range.end}/${a.size}`,
      "content-length": String(range.end - range.start + 1),
    },
  });
}

/** AVIF where the browser says it takes it, else WebP (hence `Vary: Accept` when negotiated). */
export function negotiate(accept: string | null): VariantFormat {
  return /image\/avif/.test(accept ?? "") ? "avif" : "webp";
}

// One maker per variant per process; at most two at a time (sharp work is CPU-bound on 2 cores).
const making = new Map<string, Promise<void>>();
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

async function produce(storage: AssetStorage, a: ServableAsset, name: VariantName, format: VariantFormat, key: string) {
  const original = await storage.get(a.storageKey);
  if (!original) throw gone(a.id);
  const spooled = await spoolStream(webToNode(original.body), { image: Number.MAX_SAFE_INTEGER, video: 0 });
  const dir = await mkdtemp(path.join(tmpdir(), "cf-variant-"));
  try {
    const out = path.join(dir, `v.${format}`);
    await slot(() => makeVariant(spooled.path, out, name, format));
    await storage.put(key, { path: out, size: (await stat(out)).size, contentType: `image/${format}` });
  } finally {
    await spooled.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A resized WebP/AVIF copy of a picture, made with sharp on first request and kept in storage. */
export async function serveVariant(
  req: Request,
  storage: AssetStorage,
  a: ServableAsset,
  cacheControl: string,
  name: VariantName,
  explicit?: VariantFormat,
): Promise<Response> {
  if (a.kind !== "image") {
    throw new AppError("VALIDATION_FAILED", "Only pictures have variants", [{ field: "variant", message: "not for videos" }]);
  }
  const format = explicit ?? negotiate(req.headers.get("accept"));
  const etag = `"${a.sha256.slice(0, 32)}-v${VARIANT_VERSION}-${name}-${format}"`;
  const headers = headersFor(`image/${format}`, etag, cacheControl, explicit ? undefined : "Accept");
  if (matches(req.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  const key = variantKey(a.storageKey, name, format);
  let obj: StoredObject | undefined = await storage.get(key);
  if (!obj) {
    let p = making.get(key);
    if (!p) {
      p = produce(storage, a, name, format, key).finally(() => making.delete(key));
      making.set(key, p);
    }
    await p;
    obj = await storage.get(key);
    if (!obj) throw gone(a.id);
  }
  return new Response(obj.body, { status: 200, headers: { ...headers, "content-length": String(obj.size) } });
}
