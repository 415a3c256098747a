/**
 * Cross-site request forgery (docs/security.md): a browser attaches our session cookie to a request another site
 * makes it send (a form posting multipart or urlencoded data needs no CORS preflight). Such a write must come from
 * a page of ours. The browser tells where a request comes from: `Origin` (sent on every cross-origin request and
 * on every POST), and `Sec-Fetch-Site` (Fetch Metadata) where it sends no Origin.
 */

/** Methods that change nothing (RFC 9110 §9.2.1, "safe"): never refused. */
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export interface OriginSettings {
  /** NEXTAUTH_URL: the configured public origin; its host is ours too. */
  NEXTAUTH_URL?: string;
  /** TRUST_PROXY: the proxy in front's X-Forwarded-Host (its last value) names our host too. */
  TRUST_PROXY: boolean;
}

/** The hosts (host[:port], lower case) this app answers as: the request's Host, the proxy's, the configured one. */
function ourHosts(headers: Pick<Headers, "get">, s: OriginSettings): Set<string> {
  const hosts = new Set<string>();
  const host = headers.get("host");
  if (host) hosts.add(host.toLowerCase());
  const forwarded = s.TRUST_PROXY ? headers.get("x-forwarded-host")?.split(",").at(-1)?.trim() : undefined;
  if (forwarded) hosts.add(forwarded.toLowerCase());
  if (s.NEXTAUTH_URL) {
    try {
      hosts.add(new URL(s.NEXTAUTH_URL).host.toLowerCase());
    } catch {}
  }
  return hosts;
}

/**
 * Whether a browser sent this request from a page that is not ours: its `Origin` is present and its host[:port]
 * is none of ours (Host, X-Forwarded-Host when TRUST_PROXY, NEXTAUTH_URL's), or is `null`/garbage (a sandboxed
 * frame, a data: URL); without Origin, `Sec-Fetch-Site` is `cross-site` or `same-site` (a sibling subdomain or
 * another port is another origin). A request with neither header is not a browser's cross-site request (curl, a
 * server, an old browser's same-origin GET): false. Never throws.
 */
export function crossSiteRequest(headers: Pick<Headers, "get">, s: OriginSettings): boolean {
  const origin = headers.get("origin");
  if (origin !== null) {
    let host: string;
    try {
      host = new URL(origin).host.toLowerCase();
    } catch {
      return true; // "null" or garbage
    }
    return !host || !ourHosts(headers, s).has(host);
  }
  const site = headers.get("sec-fetch-site")?.toLowerCase();
  return site === "cross-site" || site === "same-site";
}

/**
 * Whether `req` is a write (any method but GET, HEAD, OPTIONS) that the session cookie could authenticate (it
 * carries no `Authorization` header: a bearer token is never sent by a browser on its own) and that comes from
 * another site (`crossSiteRequest`). The one rule of the proxy (pages and API) and of `currentUser` (every route
 * taking the session cookie, also those the proxy does not run for, such as the streamed upload). Refuse it with
 * 403 CROSS_ORIGIN_REQUEST before anything is read or changed. Provider webhooks are never browser requests and
 * send neither header; the proxy skips them anyway.
 */
export function forgedCookieWrite(req: { method: string; headers: Pick<Headers, "get"> }, s: OriginSettings): boolean {
  if (SAFE.has(req.method.toUpperCase())) return false;
  if (req.headers.get("authorization")) return false;
  return crossSiteRequest(req.headers, s);
}
