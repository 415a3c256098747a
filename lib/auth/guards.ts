import { createHash } from "node:crypto";
import Redis from "ioredis";
import type { Logger } from "pino";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { TinyLfu } from "@/lib/cache/tinylfu";
import type { Config } from "@/lib/config";
import { insuredLimiter, isRateLimitRejection } from "./ratelimit";

/**
 * The counters that guard sign-in and API tokens (issue 13), built once by the composition root
 * (lib/app `services().auth`): shared through Redis when REDIS_URL is set, with an in-memory insurance
 * limiter so that Redis being down degrades to per-instance counting instead of failing sign-in.
 */
export interface AuthGuards {
  /** Password sign-in failures per account and per client IP, with exponential backoff. */
  readonly login: LoginThrottle;
  /** API tokens minted per user per hour (API_TOKENS_MINT_PER_HOUR). */
  readonly mint: RateLimiterAbstract;
  /** Token hash → whether it exists, for the rate-limit key only (lib/auth/ratelimit#rateLimitKey). */
  readonly knownTokens: TinyLfu<string, boolean>;
  /**
   * Resolves once the Redis connection is up (at once without REDIS_URL). Until then counts go to the
   * in-memory insurance limiter of this instance only; tests wait for it so their counts all land in Redis.
   */
  readonly ready: Promise<void>;
}

/** Failures are forgotten this long after the first one of a run (seconds). */
const FAILURE_WINDOW_SECONDS = 3600;

export function createAuthGuards(c: Config, log: Logger): AuthGuards {
  let client: Redis | undefined;
  let ready = Promise.resolve();
  if (c.REDIS_URL) {
    const r = new Redis(c.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    r.on("error", (err) => log.warn({ err: err.message }, "auth guards redis error"));
    ready = new Promise((resolve) => r.once("ready", () => resolve()));
    client = r;
  }
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    insuredLimiter({ points, duration, keyPrefix: `${c.RATE_LIMIT_PREFIX}:${keyPrefix}` }, client);
  return {
    login: createLoginThrottle({
      failures: limiter("login-fail", 1_000_000_000, FAILURE_WINDOW_SECONDS),
      blocks: limiter("login-block", 1, 1),
      freeFailures: { account: c.LOGIN_FREE_FAILURES, ip: c.LOGIN_FREE_FAILURES_PER_IP },
      maxBackoffSeconds: c.LOGIN_BACKOFF_MAX_SECONDS,
      log,
    }),
    mint: limiter("mint", c.API_TOKENS_MINT_PER_HOUR, 3600),
    knownTokens: new TinyLfu<string, boolean>({ maximumSize: 10_000, ttlMs: 60_000 }),
    ready,
  };
}

/** Who a password attempt counts against: the account (email, case-insensitive) and the client IP. */
export interface LoginSubject {
  email: string;
  ip: string;
}

export interface LoginThrottle {
  /** Seconds to wait before `s` may try again (0: now). Checked BEFORE the password is compared. */
  retryAfter(s: LoginSubject): Promise<number>;
  /** Count a failed attempt; past the free failures, block the key for 1, 2, 4 … s (capped). */
  failed(s: LoginSubject): Promise<void>;
  /** A successful sign-in clears the account's failures (not the IP's: one good account must not reset spraying). */
  succeeded(s: LoginSubject): Promise<void>;
}

/**
 * A throttle on password sign-in (issue 13, finding 3). Each key (account, IP) may fail `freeFailures`
 * times within an hour; each further failure blocks it for 2^(failures − free) s, at most
 * `maxBackoffSeconds`. A limiter error (Redis down, no insurance) lets the attempt through, logged.
 */
export function createLoginThrottle(d: {
  failures: RateLimiterAbstract;
  blocks: RateLimiterAbstract;
  freeFailures: { account: number; ip: number };
  maxBackoffSeconds: number;
  log: Logger;
}): LoginThrottle {
  const keys = (s: LoginSubject) => ({
    account: `a:${createHash("sha256").update(s.email.trim().toLowerCase()).digest("base64url").slice(0, 27)}`,
    ip: `ip:${s.ip}`,
  });
  const guarded = async <T>(what: string, fallback: T, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (isRateLimitRejection(e)) return fallback;
      d.log.warn({ err: String(e) }, `login throttle: ${what} failed`);
      return fallback;
    }
  };
  return {
    async retryAfter(s) {
      const k = keys(s);
      let wait = 0;
      for (const key of [k.account, k.ip]) {
        const r = await guarded("get", null, () => d.blocks.get(key));
        if (r && r.consumedPoints > 1) wait = Math.max(wait, Math.ceil(r.msBeforeNext / 1000));
      }
      return wait;
    },
    async failed(s) {
      const k = keys(s);
      for (const [key, free] of [
        [k.account, d.freeFailures.account],
        [k.ip, d.freeFailures.ip],
      ] as const) {
        const r = await guarded("count", null, () => d.failures.penalty(key, 1));
        const n = r?.consumedPoints ?? 0;
        if (n >= free) {
          const seconds = Math.min(d.maxBackoffSeconds, 2 ** Math.min(30, n - free));
          await guarded("block", null, () => d.blocks.block(key, seconds));
        }
      }
    },
    async succeeded(s) {
      const k = keys(s);
      await guarded("reset", false, () => d.failures.delete(k.account));
      await guarded("reset", false, () => d.blocks.delete(k.account));
    },
  };
}
