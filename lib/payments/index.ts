import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { authSecret } from "@/lib/auth/options";
import type { Config } from "@/lib/config";
import { logger } from "@/lib/log";
import { createDeclineCounter } from "./card-testing";
import type { ContributeDeps } from "./contributions";
import type { PaymentProvider } from "./provider";
import { sandboxProvider, sandboxWebhookSecret } from "./sandbox";
import { stripeProvider } from "./stripe";

/** The configured provider: Stripe when STRIPE_SECRET_KEY is set, else the sandbox. */
export function paymentProvider(db: Db, c: Config): PaymentProvider {
  if (c.STRIPE_SECRET_KEY && c.STRIPE_WEBHOOK_SECRET) {
    return stripeProvider({ secretKey: c.STRIPE_SECRET_KEY, webhookSecret: c.STRIPE_WEBHOOK_SECRET, apiBase: c.STRIPE_API_BASE });
  }
  return sandboxProvider(db, {
    webhookSecret: sandboxWebhookSecret(c.SANDBOX_WEBHOOK_SECRET, authSecret(c)),
    pendingMs: c.SANDBOX_PENDING_MS,
    loseAnswerRate: c.SANDBOX_LOSE_ANSWER_RATE,
  });
}

/**
 * What a contribution needs from the configuration: the provider, the platform fee (basis points), the
 * largest amount (minor units) and the card-testing counters (their Redis connection made on first use). The composition root builds it once (`services().payments`): one Stripe
 * client and its connection pool per process, not one per request.
 */
export function createContributeDeps(db: Db, c: Config, log: Pick<Logger, "warn"> = logger()): ContributeDeps {
  return {
    cardTesting: createDeclineCounter(c, log),
    provider: paymentProvider(db, c),
    feeBps: c.PLATFORM_FEE_BPS,
    maxAmount: c.CONTRIBUTION_MAX_MINOR,
    reconcile: {
      afterMs: c.PAYMENT_RECONCILE_AFTER_SECONDS * 1000,
      actionTimeoutMs: c.PAYMENT_ACTION_TIMEOUT_SECONDS * 1000,
    },
  };
}
