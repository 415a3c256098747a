import { fileTypeFromBuffer } from "file-type";
import type { DetectedType } from "./types";

/** Bytes enough for file-type to recognise every format we accept (its own recommendation). */
export const SNIFF_BYTES = 4100;

const ALLOWED: Record<string, DetectedType> = {
  "image/jpeg": { kind: "image", mime: "image/jpeg", ext: "jpg" },
  "image/png": { kind: "image", mime: "image/png", ext: "png" },
  "image/webp": { kind: "image", mime: "image/webp", ext: "webp" },
  "image/gif": { kind: "image", mime: "image/gif", ext: "gif" },
  "image/avif": { kind: "image", mime: "image/avif", ext: "avif" },
  "video/mp4": { kind: "video", mime: "video/mp4", ext: "mp4" },
  "video/webm": { kind: "video", mime: "video/webm", ext: "webm" },
};

export const ACCEPTED_TYPES = Object.keys(ALLOWED);

/**
 * The type of a file from its first bytes (magic numbers, ISO-BMFF brands, EBML doc type),
 * never from its name or the client's Content-Type. Undefined when it is not one we accept.
 */
export async function sniff(head: Uint8Array): Promise<DetectedType | undefined> {
  const found = await fileTypeFromBuffer(head);
  if (!found) return undefined;
  // file-type reports some MP4 brands as video/quicktime or audio/mp4-like types; only plain MP4 video passes.
  return ALLOWED[found.mime];
}
