import type { CampaignStatus } from "@/lib/campaigns/schemas";

/** Why the creator's payout account cannot take payouts: there is none, or the provider has not enabled it. */
export type AccountHold = "no_payout_account" | "payouts_disabled";

/** Why money a campaign is owed stays with it (docs/payouts.md): what the run counts and the dashboard says. */
export type PayoutHold = "campaign_suspended" | AccountHold | "below_minimum";

/** Why the creator's payout account (null: none with the provider in use) cannot take payouts, or null when it can. */
export function accountHold(account: { payoutsEnabled: boolean } | null): AccountHold | null {
  if (!account) return "no_payout_account";
  return account.payoutsEnabled ? null : "payouts_disabled";
}

/**
 * Why a daily payout run would not pay a campaign the `due` amount (minor units, more than zero),
 * or null when it would. The reason to give is the one that would still hold once the others are
 * gone: a suspension (an admin decides), then the creator's payout account (the creator acts),
 * then an amount below `minimum` (minor units), which only more contributions change.
 */
export function payoutHold(p: {
  due: number;
  minimum: number;
  campaignStatus: CampaignStatus;
  /** Payouts frozen by a suspension that no reinstatement lifted (the campaign may have been ended since). */
  frozen?: boolean;
  account: { payoutsEnabled: boolean } | null;
}): PayoutHold | null {
  if (p.campaignStatus === "suspended" || p.frozen) return "campaign_suspended";
  return accountHold(p.account) ?? (p.due < p.minimum ? "below_minimum" : null);
}
