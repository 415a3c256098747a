import { type Db, perDbAndConfig } from "@/db/client";
import { authSecret } from "@/lib/auth/options";
import { type Config, config } from "@/lib/config";
import type { ContributeDeps } from "./contributions";
import type { PaymentProvider } from "./provider";
import { sandboxProvider, sandboxWebhookSecret } from "./sandbox";
import { stripeProvider } from "./stripe";

/** The configured provider: Stripe when STRIPE_SECRET_KEY is set, else the sandbox. */
export function paymentProvider(db: Db, c: Config = config()): PaymentProvider {
  if (c.STRIPE_SECRET_KEY && c.STRIPE_WEBHOOK_SECRET) {
    return stripeProvider({ secretKey: c.STRIPE_SECRET_KEY, webhookSecret: c.STRIPE_WEBHOOK_SECRET, apiBase: c.STRIPE_API_BASE });
  }
  return sandboxProvider(db, {
    webhookSecret: sandboxWebhookSecret(c.SANDBOX_WEBHOOK_SECRET, authSecret(c)),
    pendingMs: c.SANDBOX_PENDING_MS,
  });
}

// One provider (and so one Stripe client with its connection pool) per database handle and
// configuration, not one per request: contributions and webhooks are the hot money path.
const buildDeps = perDbAndConfig(
  (db: Db, c: Config): ContributeDeps => ({
    provider: paymentProvider(db, c),
    feeBps: c.PLATFORM_FEE_BPS,
    maxAmount: c.CONTRIBUTION_MAX_MINOR,
  }),
);

export function contributeDeps(db: Db, c: Config = config()): ContributeDeps {
  return buildDeps(db, c);
}
