import Stripe from "stripe";
import { toProviderAmount } from "@/lib/money/currency";
import { stripeClient } from "@/lib/payments/stripe";
import { type AccountState, type PayoutProvider, type ProviderTransfer, TransferOutcomeUnknownError } from "./provider";

function accountState(a: Stripe.Account): AccountState {
  return {
    accountId: a.id,
    payoutsEnabled: a.payouts_enabled ?? false,
    detailsSubmitted: a.details_submitted ?? false,
    disabledReason: a.requirements?.disabled_reason ?? null,
  };
}

/** A transfer to a connected account moves the money at once: made means paid (a later reversal is a separate object). */
const fromTransfer = (t: Stripe.Transfer): ProviderTransfer => ({ id: t.id, status: "paid" });

/** Errors that say nothing about whether the request took effect. */
function outcomeUnknown(err: unknown): boolean {
  return (
    !(err instanceof Stripe.errors.StripeError) ||
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripeIdempotencyError ||
    (err.statusCode ?? 500) >= 500
  );
}

/** Stripe Connect: Express accounts, hosted onboarding, transfers from the platform balance. */
export function stripePayoutProvider(p: { secretKey: string; apiBase?: string }): PayoutProvider {
  const stripe = stripeClient(p.secretKey, p.apiBase);
  const unknown = (what: string, err: unknown) => new TransferOutcomeUnknownError(`Stripe ${what}: no answer`, { cause: err });
  return {
    name: "stripe",
    async createAccount({ userId, email }) {
      const a = await stripe.accounts.create(
        {
          type: "express",
          email,
          capabilities: { transfers: { requested: true } },
          metadata: { user_id: userId },
        },
        { idempotencyKey: `account-${userId}` },
      );
      return accountState(a);
    },
    async onboardingUrl(accountId, urls) {
      const link = await stripe.accountLinks.create({
        account: accountId,
        type: "account_onboarding",
        return_url: urls.returnUrl,
        refresh_url: urls.refreshUrl,
      });
      return link.url;
    },
    async retrieveAccount(accountId) {
      return accountState(await stripe.accounts.retrieve(accountId));
    },
    async createTransfer(input) {
      try {
        const t = await stripe.transfers.create(
          {
            amount: toProviderAmount(input.amount, input.currency), // app minor units → Stripe's units
            currency: input.currency.toLowerCase(),
            destination: input.destination,
            transfer_group: input.payoutId,
            metadata: { payout_id: input.payoutId, campaign_id: input.campaignId },
          },
          { idempotencyKey: input.payoutId },
        );
        return fromTransfer(t);
      } catch (err) {
        if (outcomeUnknown(err)) throw unknown("transfer", err);
        // Refused (no funds available, account not able to receive transfers, …): nothing was moved.
        const e = err as Stripe.errors.StripeError;
        return { status: "failed", failureCode: e.code ?? e.type, failureMessage: e.message };
      }
    },
    async findTransfer(payoutId) {
      try {
        const page = await stripe.transfers.list({ transfer_group: payoutId, limit: 1 });
        const t = page.data[0];
        return t ? fromTransfer(t) : undefined;
      } catch (err) {
        throw unknown("transfer lookup", err);
      }
    },
    async retrieveTransfer(id) {
      try {
        return fromTransfer(await stripe.transfers.retrieve(id));
      } catch (err) {
        throw unknown("transfer lookup", err);
      }
    },
  };
}
