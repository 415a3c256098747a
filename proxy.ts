import { type NextRequest, NextResponse } from "next/server";
import { getToken } from "next-auth/jwt";
import { authSecret } from "@/lib/auth/options";
import { consume, rateLimitKey } from "@/lib/auth/ratelimit";
import { config as appConfig } from "@/lib/config";
import { AppError, errorBody } from "@/lib/errors";
import { MAX_JSON_BODY_BYTES } from "@/lib/http";
import { forgedCookieWrite } from "@/lib/http/origin";
import { unsubscribedKind, verifyUnsubscribeToken } from "@/lib/mail/unsubscribe";

/**
 * The gateway (docs/architecture.md): request IDs, security headers, body-size limit, cross-origin
 * form posts refused, rate limit per token or IP, and the sign-in gate for private pages.
 * Authorization (who may change what) is decided in lib/, not here.
 */
const PRIVATE_PAGES = [
  /^\/dashboard(\/|$)/,
  /^\/campaigns\/new$/,
  /^\/campaigns\/[^/]+\/edit$/,
  /^\/settings(\/|$)/,
  /^\/contributions\/?$/,
  /^\/contributions\/[^/]+\/receipt$/,
  /^\/admin(\/|$)/,
];

/**
 * The security headers every answer carries, as [name, value] pairs; built once per process (they depend only on
 * whether this is a development server), not per request. HSTS is added per request over HTTPS.
 */
let SECURITY_HEADERS: [string, string][] | undefined;

function securityHeaderList(): [string, string][] {
  if (SECURITY_HEADERS) return SECURITY_HEADERS;
  const dev = appConfig().NODE_ENV === "development";
  SECURITY_HEADERS = [
    ["x-content-type-options", "nosniff"],
    ["x-frame-options", "DENY"],
    ["referrer-policy", "strict-origin-when-cross-origin"],
    ["permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"],
    ["cross-origin-opener-policy", "same-origin"],
    [
      "content-security-policy",
      [
        "default-src 'self'",
        // Stripe.js and its Payment Element (Stripe's security guide: js.stripe.com and its subdomains, hooks.stripe.com).
        `script-src 'self' 'unsafe-inline' https://js.stripe.com https://*.js.stripe.com${dev ? " 'unsafe-eval'" : ""}`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https:",
        "media-src 'self' blob: https:",
        "connect-src 'self' https://api.stripe.com",
        "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self' https://github.com",
        "object-src 'none'",
      ].join("; "),
    ],
  ];
  return SECURITY_HEADERS;
}

function securityHeaders(h: Headers, https: boolean) {
  for (const [name, value] of securityHeaderList()) h.set(name, value);
  if (https) h.set("strict-transport-security", "max-age=63072000; includeSubDomains");
}

function jsonError(status: number, body: ReturnType<typeof errorBody>, requestId: string, extra?: Record<string, string>) {
  const res = NextResponse.json(body, { status });
  res.headers.set("x-request-id", requestId);
  res.headers.set("cache-control", "no-store");
  for (const [k, v] of Object.entries(extra ?? {})) res.headers.set(k, v);
  return res;
}

export async function proxy(req: NextRequest) {
  const requestId = req.headers.get("x-request-id")?.slice(0, 100) || crypto.randomUUID();
  const https = req.nextUrl.protocol === "https:";
  const path = req.nextUrl.pathname;
  const isApi = path.startsWith("/api/");

  const declared = Number(req.headers.get("content-length") ?? "0");
  if (isApi && declared > MAX_JSON_BODY_BYTES) {
    const res = jsonError(413, errorBody("PAYLOAD_TOO_LARGE", `The body is larger than ${MAX_JSON_BODY_BYTES} bytes`), requestId);
    securityHeaders(res.headers, https);
    return res;
  }

  // Cross-site writes the session cookie would authenticate (pages' actions and the API): lib/http/origin.
  // Exempt: provider webhooks (signed) and the one-click unsubscribe (its token authenticates it, RFC 8058).
  if (!path.startsWith("/api/webhooks/") && path !== "/api/unsubscribe" && forgedCookieWrite(req, appConfig())) {
    const res = jsonError(
      403,
      errorBody("CROSS_ORIGIN_REQUEST", "Writes with this site's session may only come from this site"),
      requestId,
    );
    securityHeaders(res.headers, https);
    return res;
  }

  // Provider webhooks authenticate by signature and must never be throttled into retries.
  const rate = path.startsWith("/api/webhooks/")
    ? { allowed: true as const, limit: 0, remaining: 0, resetSeconds: 0 }
    : await consume(await rateLimitKey(req.headers));
  if (!rate.allowed) {
    const res = jsonError(429, errorBody("RATE_LIMITED", "Too many requests; retry later"), requestId, {
      "retry-after": String(rate.retryAfterSeconds),
      "ratelimit-limit": String(rate.limit),
      "ratelimit-remaining": "0",
    });
    securityHeaders(res.headers, https);
    return res;
  }

  if (PRIVATE_PAGES.some((re) => re.test(path))) {
    const token = await getToken({ req, secret: authSecret() });
    if (!token?.sub) {
      const signin = new URL("/signin", req.url);
      signin.searchParams.set("callbackUrl", path + req.nextUrl.search);
      const res = NextResponse.redirect(signin);
      securityHeaders(res.headers, https);
      return res;
    }
  }

  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-request-id", requestId);
  const res = NextResponse.next({ request: { headers: requestHeaders }, status: pageStatus(req) });
  res.headers.set("x-request-id", requestId);
  res.headers.set("ratelimit-limit", String(rate.limit));
  res.headers.set("ratelimit-remaining", String(rate.remaining));
  securityHeaders(res.headers, https);
  return res;
}

/**
 * The status a page answers with when the page itself cannot set one: App Router pages render with 200 unless
 * they call notFound() or redirect(), and Next.js answers with the status the proxy gave (its router copies it
 * onto the response). Used for the unsubscribe page opened with a bad token: it shows the error and its code,
 * and answers 400 like /api/unsubscribe does (UNSUBSCRIBE_TOKEN_INVALID), so that no bad input gets a 200.
 */
function pageStatus(req: NextRequest): number | undefined {
  if (req.nextUrl.pathname !== "/unsubscribe" || req.method !== "GET") return undefined;
  if (unsubscribedKind(req.nextUrl.searchParams.get("done"))) return undefined; // the page's own "Unsubscribed" answer
  try {
    verifyUnsubscribeToken(authSecret(), req.nextUrl.searchParams.get("token"));
    return undefined;
  } catch (err) {
    if (err instanceof AppError) return err.status;
    throw err;
  }
}

export const config = {
  // The streamed upload route is left out: Next.js buffers the body of every request the proxy
  // runs for (up to 10 MB, then truncates it). That route applies the rate limit itself.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/campaigns/[^/]+/assets/?$).*)"],
};
