import { createHash } from "node:crypto";
import Redis from "ioredis";
import type { Logger } from "pino";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";
import { services } from "@/lib/app";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";

/**
 * Fixed-window rate limit per API token or client IP (rate-limiter-flexible).
 * Shared across instances through Redis when REDIS_URL is set, with an
 * in-memory "insurance" limiter so that Redis being down degrades to
 * per-instance limits instead of failing requests.
 */
/** The limiter of `c` (rate-limiter-flexible); the composition root makes the process's one. */
export function createRateLimiter(c: Config, log: Logger): RateLimiterAbstract {
  const opts = { points: c.rateLimit.max, duration: c.rateLimit.windowSeconds, keyPrefix: c.RATE_LIMIT_PREFIX };
  const memory = new RateLimiterMemory(opts);
  if (!c.REDIS_URL) return memory;
  const client = new Redis(c.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  client.on("error", (err) => log.warn({ err: err.message }, "rate-limit redis error"));
  return new RateLimiterRedis({ ...opts, storeClient: client, insuranceLimiter: memory });
}

/** The key a request is counted under: its bearer token (hashed) if any, else its client IP. */
export function rateLimitKey(headers: Headers): string {
  const auth = headers.get("authorization");
  const m = auth ? /^Bearer\s+(\S+)/i.exec(auth) : null;
  if (m?.[1]) return `t:${createHash("sha256").update(m[1]).digest("base64url").slice(0, 22)}`;
  return `ip:${clientIp(headers)}`;
}

export function clientIp(headers: Headers): string {
  const xff = headers.get("x-forwarded-for");
  if (!xff) return headers.get("x-real-ip") ?? "unknown";
  const hops = xff
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // Behind a trusted load balancer the client is the last hop it appended; otherwise
  // take the one the Next.js server itself recorded (the first, when the client sent none).
  return (services().config.TRUST_PROXY ? hops.at(-1) : hops[0]) ?? "unknown";
}

export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; retryAfterSeconds: number };

export async function consume(key: string): Promise<RateDecision> {
  const { config: c, rateLimiter, log } = services();
  const limit = c.rateLimit.max;
  try {
    const r = await rateLimiter.consume(key);
    return { allowed: true, limit, remaining: r.remainingPoints, resetSeconds: Math.ceil(r.msBeforeNext / 1000) };
  } catch (e) {
    if (isRejection(e)) {
      return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) };
    }
    log.warn({ err: String(e) }, "rate limiter failed; request allowed");
    return { allowed: true, limit, remaining: limit, resetSeconds: c.rateLimit.windowSeconds };
  }
}

/**
 * A "limit reached" answer of rate-limiter-flexible (a RateLimiterRes, thrown rather than returned). Told
 * by shape, not class: the limiter may have been built in another bundle's copy of the library (lib/app).
 */
function isRejection(e: unknown): e is RateLimiterRes {
  return typeof e === "object" && e !== null && !(e instanceof Error) && typeof (e as RateLimiterRes).msBeforeNext === "number";
}

/** The gateway's rate limit for routes the proxy does not run in front of (streamed uploads). */
export async function enforceRateLimit(headers: Headers): Promise<void> {
  const r = await consume(rateLimitKey(headers));
  if (!r.allowed) {
    throw new AppError("RATE_LIMITED", `Too many requests; retry in ${r.retryAfterSeconds} s`, [
      { field: "(request)", message: `retry after ${r.retryAfterSeconds} s` },
    ]);
  }
}
