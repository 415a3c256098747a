import { createHash } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import Redis from "ioredis";
import type { Logger } from "pino";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";
import { apiTokens } from "@/db/schema";
import { services } from "@/lib/app";
import type { TinyLfu } from "@/lib/cache/tinylfu";
import type { Config } from "@/lib/config";
import { AppError, isDatabaseUnavailable } from "@/lib/errors";

/**
 * A fixed-window limiter (rate-limiter-flexible) shared across instances through Redis when `redis` is given,
 * with an in-memory "insurance" limiter of the same options, so that Redis being down degrades to
 * per-instance counting instead of failing requests; in memory only without it. The one way every counter of
 * the app (request rate, sign-in failures, token minting, card declines) is built.
 */
export function insuredLimiter(
  opts: { points: number; duration: number; keyPrefix: string },
  redis: Redis | undefined,
): RateLimiterAbstract {
  const memory = new RateLimiterMemory(opts);
  if (!redis) return memory;
  const limiter = new RateLimiterRedis({ ...opts, storeClient: redis, insuranceLimiter: memory });
  // Until the client's first connection is up, its commands fail at once (no offline queue) and every request
  // would be counted in memory, then counted again from zero in Redis: a client starting with a fresh
  // instance got up to twice the limit (seen in CI: 11 answers for a limit of 10). So the limiter's calls wait
  // for that first connection, at most FIRST_CONNECT_WAIT_MS; a later outage falls back to memory at once.
  const firstReady = connectedOrGaveUp(redis, FIRST_CONNECT_WAIT_MS);
  for (const method of ["consume", "get", "penalty", "reward", "block", "set", "delete"] as const) {
    const call = limiter[method].bind(limiter) as (...a: unknown[]) => Promise<unknown>;
    Object.assign(limiter, {
      [method]: async (...a: unknown[]) => {
        await firstReady;
        return call(...a);
      },
    });
  }
  return limiter;
}

/** How long a limiter's first calls wait for Redis's first connection before counting in memory (ms). */
export const FIRST_CONNECT_WAIT_MS = 1000;

/** Resolves when `redis` is (or becomes) ready, or ends, or after `ms`, whichever comes first; never rejects. */
function connectedOrGaveUp(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      redis.off("end", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    redis.once("ready", done);
    redis.once("end", done);
  });
}

/** Fixed-window rate limit per API token or client IP: the limiter of `c`; the composition root makes the process's one. */
export function createRateLimiter(c: Config, log: Logger): RateLimiterAbstract {
  const opts = { points: c.rateLimit.max, duration: c.rateLimit.windowSeconds, keyPrefix: c.RATE_LIMIT_PREFIX };
  if (!c.REDIS_URL) return insuredLimiter(opts, undefined);
  const client = new Redis(c.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  client.on("error", (err) => log.warn({ err: err.message }, "rate-limit redis error"));
  return insuredLimiter(opts, client);
}

/** A well-formed API token as `createApiToken` makes them: `cf_` + 32 bytes in base64url (43 characters). */
const TOKEN_SHAPE = /^cf_[A-Za-z0-9_-]{43}$/;

/** What `rateLimitKey` needs besides the headers: whether a token exists (cached), the IP bucket's count. */
export interface RateKeyDeps {
  /** How many proxies append to X-Forwarded-For (config `trustedProxyHops`). */
  trustedProxyHops: number;
  /** Whether an unrevoked API token has this SHA-256 hex hash (one indexed lookup; callers cache it). */
  tokenExists(hash: string): Promise<boolean>;
  /** Whether the bucket `key` has no request left in its window (then no token is looked up for it). */
  exhausted(key: string): Promise<boolean>;
  /** Lookups remembered (services().auth.knownTokens); none: every token is looked up. */
  knownTokens?: TinyLfu<string, boolean>;
}

/**
 * The key a request is counted under: `t:<hash>` for a bearer token that exists (its holder's own
 * bucket), else `ip:<client IP>`. A made-up, malformed or revoked token is counted against its client's
 * IP, so inventing a token per request gets no fresh bucket (issue 13, finding 2). Once an IP's bucket is
 * exhausted, its unknown tokens are not even looked up. While the database is unavailable, a token not yet
 * remembered counts against the IP (never a 500 from the proxy).
 */
export async function rateLimitKey(headers: Headers, deps: RateKeyDeps = defaultRateKeyDeps()): Promise<string> {
  const ipKey = `ip:${clientIp(headers, deps.trustedProxyHops)}`;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  const token = m?.[1];
  if (!token || !TOKEN_SHAPE.test(token)) return ipKey;
  const hash = createHash("sha256").update(token).digest("hex");
  const known = deps.knownTokens?.get(hash);
  if (known !== undefined) return known ? tokenKey(hash) : ipKey;
  if (await deps.exhausted(ipKey)) return ipKey;
  let exists: boolean;
  try {
    exists = await deps.tokenExists(hash);
  } catch (err) {
    // The database is down: count the request against its IP (remembering nothing) rather than fail it here.
    // The IP bucket is the stricter one, the handler answers its own 503 if it needs the database, and what
    // needs none (pages without data, /api/health's answer) still gets through the proxy.
    if (isDatabaseUnavailable(err)) return ipKey;
    throw err;
  }
  // A known token for 60 s (a revoked one keeps its bucket that long; its handler refuses it anyway), an
  // unknown one for 5 s. Only the rate-limit key depends on this, never authentication.
  deps.knownTokens?.set(hash, exists, exists ? undefined : { ttlMs: 5000 });
  return exists ? tokenKey(hash) : ipKey;
}

const tokenKey = (hash: string) => `t:${hash.slice(0, 32)}`;

function defaultRateKeyDeps(): RateKeyDeps {
  const s = services();
  return {
    trustedProxyHops: s.config.trustedProxyHops,
    knownTokens: s.auth.knownTokens,
    async tokenExists(hash) {
      const [row] = await s.db
        .select({ id: apiTokens.id })
        .from(apiTokens)
        .where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)))
        .limit(1);
      return Boolean(row);
    },
    async exhausted(key) {
      const r = await s.rateLimiter.get(key).catch(() => null);
      return Boolean(r && r.consumedPoints >= s.config.rateLimit.max);
    },
  };
}

/**
 * The client's IP address from X-Forwarded-For, given how many proxies in front of the app append to it
 * (`trustedHops`, config TRUST_PROXY). With none, the last entry: the address the server itself recorded
 * (`npm start`'s server replaces the header with the connection's address; Next.js sets it when absent).
 * With N, the N-th entry from the end, the one the outermost trusted proxy appended; entries before it are
 * the client's own claims and never chosen. Fewer entries than N: the first. No header: "unknown".
 */
export function clientIp(headers: Headers, trustedHops: number): string {
  const hops = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (hops.length === 0) return "unknown";
  return hops[Math.max(0, hops.length - Math.max(1, trustedHops))] as string;
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
    if (isRateLimitRejection(e)) {
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
export function isRateLimitRejection(e: unknown): e is RateLimiterRes {
  return typeof e === "object" && e !== null && !(e instanceof Error) && typeof (e as RateLimiterRes).msBeforeNext === "number";
}

/** The gateway's rate limit for routes the proxy does not run in front of (streamed uploads). */
export async function enforceRateLimit(headers: Headers): Promise<void> {
  const r = await consume(await rateLimitKey(headers));
  if (!r.allowed) {
    throw new AppError("RATE_LIMITED", `Too many requests; retry in ${r.retryAfterSeconds} s`, [
      { field: "(request)", message: `retry after ${r.retryAfterSeconds} s` },
    ]);
  }
}
