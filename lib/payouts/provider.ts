/**
 * The payout side of the payment provider (docs/payouts.md): connected
 * accounts creators are paid into, and transfers to them. Stripe Connect in
 * production, the sandbox by default; both speak Stripe's terms.
 */
export type TransferStatus = "paid" | "pending" | "failed";

export interface ProviderTransfer {
  /** The provider's transfer ID (tr_…); absent when the provider refused to make one. */
  id?: string;
  status: TransferStatus;
  failureCode?: string;
  failureMessage?: string;
}

export interface TransferInput {
  /** Our payout ID: the idempotency key and the transfer group, so a lost answer can be looked up. */
  payoutId: string;
  campaignId: string;
  destination: string;
  amount: number;
  currency: string;
}

export interface AccountState {
  accountId: string;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  disabledReason: string | null;
}

export interface PayoutProvider {
  readonly name: "stripe" | "sandbox";
  createAccount(input: { userId: string; email: string }): Promise<AccountState>;
  /** Where the creator completes onboarding (Stripe's hosted page); the sandbox's completes at once. */
  onboardingUrl(accountId: string, urls: { returnUrl: string; refreshUrl: string }): Promise<string>;
  retrieveAccount(accountId: string): Promise<AccountState>;
  /**
   * Make the transfer. A refusal is a `failed` answer; an answer that did not
   * arrive (time-out, connection error, 5xx) throws TransferOutcomeUnknownError:
   * the transfer may exist, so look it up with findTransfer before calling again.
   */
  createTransfer(input: TransferInput): Promise<ProviderTransfer>;
  /** The transfer made for a payout, if there is one. */
  findTransfer(payoutId: string): Promise<ProviderTransfer | undefined>;
  /** A transfer's current state (a `pending` one becomes `paid` or `failed`). */
  retrieveTransfer(id: string): Promise<ProviderTransfer>;
}

/** The provider's answer was lost: the transfer may or may not exist. */
export class TransferOutcomeUnknownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransferOutcomeUnknownError";
  }
}
