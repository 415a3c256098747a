import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import sharp, { type Metadata } from "sharp";
import { AppError } from "@/lib/errors";

/** Decompression-bomb guard: no picture above 50 megapixels is decoded. */
export const MAX_PIXELS = 50_000_000;

sharp.cache(false); // the variants are cached in storage; libvips' operation cache would only hold memory
sharp.concurrency(1); // one thread per operation: two cores are shared with the web server

export const VARIANTS = { thumb: 320, card: 800, hero: 1600 } as const;
export type VariantName = keyof typeof VARIANTS;
export type VariantFormat = "webp" | "avif";
export const VARIANT_FORMATS: VariantFormat[] = ["avif", "webp"];
/** Bump when the variant pipeline changes: new ETags and new storage keys. */
export const VARIANT_VERSION = 1;

export interface ImageFacts {
  width: number;
  height: number;
  /** Set when the bytes were rewritten without their metadata. */
  rewritten?: { path: string; size: number; sha256: string };
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

const undecodable = () =>
  new AppError("UNSUPPORTED_MEDIA_TYPE", "The picture could not be decoded", [
    { field: "file", message: "is damaged or incomplete" },
  ]);

/**
 * Check that a picture decodes, measure it, and — when it carries EXIF, XMP or IPTC
 * metadata (camera GPS position, owner names…) — rewrite it without them, turned upright
 * first (EXIF orientation), colour profile kept. Pictures without metadata keep their bytes.
 */
export async function prepareImage(path: string, format: string, out: string): Promise<ImageFacts> {
  const animated = format === "gif" || format === "webp";
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: MAX_PIXELS, animated }).metadata();
    // a full decode at a small size (JPEG shrink-on-load keeps it cheap) proves the pixels are all there
    await sharp(path, { limitInputPixels: MAX_PIXELS, failOn: "truncated" }).resize(64).raw().toBuffer();
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw new AppError("PAYLOAD_TOO_LARGE", `Pictures may have at most ${MAX_PIXELS / 1_000_000} megapixels`, [
        { field: "file", message: "has too many pixels" },
      ]);
    }
    throw undecodable();
  }
  if (!meta.width || !meta.height) throw undecodable();
  const height = meta.pageHeight ?? meta.height;
  if (!meta.exif && !meta.xmp && !meta.iptc) return { width: meta.width, height };

  let pipeline = sharp(path, { limitInputPixels: MAX_PIXELS, animated }).rotate().keepIccProfile();
  if (format === "jpeg") pipeline = pipeline.jpeg({ quality: 92, mozjpeg: true });
  else if (format === "png") pipeline = pipeline.png({ compressionLevel: 8 });
  else if (format === "webp") pipeline = pipeline.webp({ quality: 92, smartSubsample: true });
  else if (format === "avif" || format === "heif") pipeline = pipeline.avif({ quality: 70, effort: 4 });
  else if (format === "gif") pipeline = pipeline.gif();
  const info = await pipeline.toFile(out);
  return {
    width: info.width,
    height: info.pageHeight ?? info.height,
    rewritten: { path: out, size: info.size, sha256: await sha256File(out) },
  };
}

/** A resized copy: at most the variant's width, never enlarged, upright, no metadata. */
export async function makeVariant(src: string, out: string, name: VariantName, format: VariantFormat): Promise<number> {
  const p = sharp(src, { limitInputPixels: MAX_PIXELS }).rotate().resize({ width: VARIANTS[name], withoutEnlargement: true });
  const info = await (format === "avif" ? p.avif({ quality: 55, effort: 2 }) : p.webp({ quality: 80 })).toFile(out);
  return info.size;
}
