import { createHash } from "node:crypto";
import Redis from "ioredis";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/log";

/**
 * Fixed-window rate limit per API token or client IP (rate-limiter-flexible).
 * Shared across instances through Redis when REDIS_URL is set, with an
 * in-memory "insurance" limiter so that Redis being down degrades to
 * per-instance limits instead of failing requests.
 */
const g = globalThis as unknown as { __cfLimiter?: RateLimiterAbstract };

function limiter(): RateLimiterAbstract {
  if (g.__cfLimiter) return g.__cfLimiter;
  const c = config();
  const opts = { points: c.rateLimit.max, duration: c.rateLimit.windowSeconds, keyPrefix: c.RATE_LIMIT_PREFIX };
  const memory = new RateLimiterMemory(opts);
  if (c.REDIS_URL) {
    const client = new Redis(c.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    client.on("error", (err) => logger().warn({ err: err.message }, "rate-limit redis error"));
    g.__cfLimiter = new RateLimiterRedis({ ...opts, storeClient: client, insuranceLimiter: memory });
  } else {
    g.__cfLimiter = memory;
  }
  return g.__cfLimiter;
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
  return (config().TRUST_PROXY ? hops.at(-1) : hops[0]) ?? "unknown";
}

export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; retryAfterSeconds: number };

export async function consume(key: string): Promise<RateDecision> {
  const limit = config().rateLimit.max;
  try {
    const r = await limiter().consume(key);
    return { allowed: true, limit, remaining: r.remainingPoints, resetSeconds: Math.ceil(r.msBeforeNext / 1000) };
  } catch (e) {
    if (e instanceof RateLimiterRes) {
      return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) };
    }
    logger().warn({ err: String(e) }, "rate limiter failed; request allowed");
    return { allowed: true, limit, remaining: limit, resetSeconds: config().rateLimit.windowSeconds };
  }
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
