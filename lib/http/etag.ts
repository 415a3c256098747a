import { createHash } from "node:crypto";

/** A strong ETag of exact response bytes. */
export function strongEtag(body: string): string {
  return `"${createHash("sha1").update(body).digest("base64url")}"`;
}

/** Whether If-None-Match (a list, or *) matches `etag`. */
export function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((t) => t.trim() === etag);
}

/**
 * A JSON body that shared caches (CDN, nginx micro-cache) may keep for a second and
 * serve stale for a few more while revalidating; browsers revalidate with the ETag (304).
 */
export function publicJson(req: Request, data: unknown, opts: { sMaxAge: number; swr: number }): Response {
  const body = JSON.stringify(data);
  const etag = strongEtag(body);
  const headers = {
    etag,
    "cache-control": `public, max-age=0, s-maxage=${opts.sMaxAge}, stale-while-revalidate=${opts.swr}`,
    "content-type": "application/json",
  };
  if (matches(req.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers });
}
