/**
 * The same-origin path a `callbackUrl` names, or undefined (issue 13, finding 4). The value is resolved
 * the way a browser resolves it (the WHATWG URL parser: tabs and newlines dropped, `\` read as `/`, `//host`
 * taken as another host) against our origin, and kept only when the result is still on our origin; what
 * is returned is the parsed path, query and fragment, so the browser cannot read it differently later.
 * `/x` and `http://our.origin/x` pass; `//evil`, `/\evil`, `/\t/evil`, `https://evil`, `javascript:…` do not.
 */
export function sameOriginPath(value: unknown, origin: string): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin) return undefined;
  const path = url.pathname + url.search + url.hash;
  // A path starting with "//" or "/\" would name another host when used as a relative URL again.
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return undefined;
  return path;
}
