/**
 * The public address of this app, for links that leave it and come back (Stripe's onboarding and
 * authentication return URLs, links in mail): never the address the server is bound to (0.0.0.0, ::).
 */

/** Host[:port] as a browser sends it: a DNS name, IPv4 or bracketed IPv6, optional port; nothing else. */
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Bind-all addresses a request's Host can only carry when a client typed them: no one can come back there. */
const BIND_ALL = /^(?:0\.0\.0\.0|\[::\]|\[0*:0*:0*:0*:0*:0*:0*:0*\])(?::\d{1,5})?$/;

export interface PublicUrlSettings {
  /** NEXTAUTH_URL: the configured public origin wins when set. */
  NEXTAUTH_URL?: string;
  /** TRUST_PROXY: take X-Forwarded-Host and X-Forwarded-Proto (the last hop's) from the proxy in front. */
  TRUST_PROXY: boolean;
}

/**
 * The absolute URL of `path` on this app's public origin: `NEXTAUTH_URL` when configured; else the request's
 * Host (X-Forwarded-Host / -Proto when TRUST_PROXY, the last value each, as the nearest proxy appended it),
 * with a bind-all host (0.0.0.0, [::]) replaced by `localhost` (same port). A missing or malformed Host gives
 * `http://localhost`. Never throws.
 */
export function publicUrl(path: string, headers: Pick<Headers, "get">, s: PublicUrlSettings): string {
  if (s.NEXTAUTH_URL) return new URL(path, s.NEXTAUTH_URL).toString();
  const last = (name: string) => headers.get(name)?.split(",").at(-1)?.trim() || undefined;
  let host = (s.TRUST_PROXY ? last("x-forwarded-host") : undefined) ?? headers.get("host") ?? "";
  const proto = s.TRUST_PROXY && last("x-forwarded-proto") === "https" ? "https" : "http";
  if (!HOST.test(host)) host = "localhost";
  if (BIND_ALL.test(host)) host = host.replace(/^(?:0\.0\.0\.0|\[[0:]*\])/, "localhost");
  return new URL(path, `${proto}://${host}`).toString();
}
