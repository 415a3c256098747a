import Redis from "ioredis";
import type { Logger } from "pino";
import type { RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { insuredLimiter } from "@/lib/auth/ratelimit";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";

/**
 * Card testing (docs/security.md): whoever holds a list of stolen card numbers tries them in small payments to
 * learn which still work, and each decline costs us the provider's fee and standing (Stripe's guidance on card
 * testing: limit attempts per customer, per IP and per card). Declined payments are counted per user, per client
 * IP and per card (the provider's card fingerprint, the same for every PaymentMethod made from one card number)
 * within a fixed window from the first decline (rate-limiter-flexible: in Redis when REDIS_URL is set, so every
 * instance sees the same counts; in memory otherwise, and as Redis's stand-in when it is down). Past a limit a
 * further contribution attempt is refused before anything is written or sent to the provider.
 */

/** Who makes a payment attempt: the signed-in user, the client IP (lib/auth/ratelimit `clientIp`), the card. */
export interface AttemptSubject {
  userId: string;
  /** Absent or "unknown": not counted by IP (every such request would share one counter). */
  ip?: string | null;
  /** The provider's card fingerprint; absent when the provider could not tell (not counted by card). */
  fingerprint?: string | null;
}

export type DeclineScope = "user" | "ip" | "card";

export interface CardTestingLimits {
  /** Declines per user, per client IP, per card fingerprint, within `windowSeconds`. */
  perUser: number;
  perIp: number;
  perCard: number;
  windowSeconds: number;
}

/** The decline counters of one process (built once by the composition root through `createContributeDeps`). */
export interface DeclineCounter {
  readonly limits: CardTestingLimits;
  /** The first counter at its limit and the seconds until it resets, or undefined when none is. */
  blocked(s: AttemptSubject): Promise<{ scope: DeclineScope; retryAfterSeconds: number } | undefined>;
  /** Count one decline of `s` on each of its counters. */
  record(s: AttemptSubject): Promise<void>;
  readonly log: Pick<Logger, "warn">;
}

/** The limits configured (CARD_DECLINES_*; docs/operations.md). */
export function cardTestingLimits(c: Config): CardTestingLimits {
  return {
    perUser: c.CARD_DECLINES_MAX_PER_USER,
    perIp: c.CARD_DECLINES_MAX_PER_IP,
    perCard: c.CARD_DECLINES_MAX_PER_CARD,
    windowSeconds: c.CARD_DECLINES_WINDOW_SECONDS,
  };
}

/** The keys `s` is counted under, with each one's limit. */
function keysOf(s: AttemptSubject, l: CardTestingLimits): { scope: DeclineScope; key: string; max: number }[] {
  const keys: { scope: DeclineScope; key: string; max: number }[] = [{ scope: "user", key: `u:${s.userId}`, max: l.perUser }];
  if (s.ip && s.ip !== "unknown") keys.push({ scope: "ip", key: `ip:${s.ip}`, max: l.perIp });
  if (s.fingerprint) keys.push({ scope: "card", key: `fp:${s.fingerprint}`, max: l.perCard });
  return keys;
}

/**
 * The counters of configuration `c`: keys under `${RATE_LIMIT_PREFIX}:declines`, shared through Redis when
 * REDIS_URL is set (its own connection, made on first use of the counters), in memory otherwise. A counter that
 * fails (Redis down and no stand-in answer) is logged and counts as not blocked: a decline limit never stops
 * honest payments because of an outage.
 */
export function createDeclineCounter(c: Config, log: Pick<Logger, "warn">): DeclineCounter {
  const limits = cardTestingLimits(c);
  const opts = { points: 1_000_000, duration: limits.windowSeconds, keyPrefix: `${c.RATE_LIMIT_PREFIX}:declines` };
  let limiter: RateLimiterAbstract | undefined;
  const store = (): RateLimiterAbstract => {
    if (limiter) return limiter;
    let client: Redis | undefined;
    if (c.REDIS_URL) {
      // Commands wait for the first connection (a decline must not go to the stand-in and be lost from Redis).
      client = new Redis(c.REDIS_URL, { maxRetriesPerRequest: 1 });
      client.on("error", (err) => log.warn({ err: err.message }, "decline-counter redis error"));
    }
    limiter = insuredLimiter(opts, client);
    return limiter;
  };
  return {
    limits,
    log,
    async blocked(s) {
      for (const k of keysOf(s, limits)) {
        try {
          const r: RateLimiterRes | null = await store().get(k.key);
          if (r && r.consumedPoints >= k.max) {
            return { scope: k.scope, retryAfterSeconds: Math.max(1, Math.ceil(r.msBeforeNext / 1000)) };
          }
        } catch (err) {
          log.warn({ err: String(err) }, "decline counter failed; attempt allowed");
        }
      }
      return undefined;
    },
    async record(s) {
      for (const k of keysOf(s, limits)) {
        try {
          await store().penalty(k.key, 1);
        } catch (err) {
          log.warn({ err: String(err) }, "decline counter failed; decline not counted");
        }
      }
    },
  };
}

/**
 * Refuse a payment attempt of `s` when one of its counters is at its limit: AppError CARD_TESTING_SUSPECTED (429)
 * with a Retry-After header (seconds until that counter resets), and one warn line naming the user, the IP, the
 * counter and the fingerprint's first 8 characters (never the whole of it). Call it before anything is written or
 * sent to the provider.
 */
export async function refuseCardTesting(counter: DeclineCounter, s: AttemptSubject): Promise<void> {
  const hit = await counter.blocked(s);
  if (!hit) return;
  counter.log.warn(
    { userId: s.userId, ip: s.ip ?? null, fingerprint: s.fingerprint?.slice(0, 8) ?? null, scope: hit.scope },
    "card testing suspected: contribution attempt refused",
  );
  const limit = { user: counter.limits.perUser, ip: counter.limits.perIp, card: counter.limits.perCard }[hit.scope];
  throw new AppError(
    "CARD_TESTING_SUSPECTED",
    `Too many declined payments; retry in ${hit.retryAfterSeconds} s`,
    [
      {
        field: hit.scope === "card" ? "paymentMethod" : "(request)",
        message: `${limit} declined payments per ${hit.scope} within ${counter.limits.windowSeconds} s`,
      },
    ],
    { "retry-after": String(hit.retryAfterSeconds) },
  );
}

/**
 * Failure codes of a payment that did not fail at the card: canceled while waiting for the payer (Stripe's and the
 * sandbox's `abandoned`, our `canceled`) or never made (`payment_not_started`, reconciliation's). Every other
 * failure (a decline, a failed 3-D Secure authentication, an unknown payment method) is counted.
 */
const NOT_DECLINES = new Set(["abandoned", "canceled", "payment_not_started"]);

export function isDecline(failureCode: string | null | undefined): boolean {
  return !NOT_DECLINES.has(failureCode ?? "");
}
