/**
 * Provider separation, the last check before money leaves (docs/payouts.md, "Provider separation"): a
 * payout is sent only through the provider that collected its money. The run's due amount already counts
 * only the paying provider's entries; this guard, checked again right before each transfer from what the
 * ledger and the payouts say, stops a payout that got past it anyway (a bug, a hand-made row, a payout
 * made before the deployment switched providers).
 */

/** Why a payout must not be sent, or null when it may. */
export type TransferRefusal = "other_provider" | "entry_of_other_provider" | "no_payout_entry" | "more_than_collected";

/** What the ledger and the payouts table say about one payout, read right before it is sent. */
export interface TransferFacts {
  /** The provider of the payout's `payout` ledger entry (the one moving its amount out of the campaign); null if none. */
  entryProvider: string | null;
  /**
   * What the campaign ever collected through the sending provider in the payout's currency, net of fees
   * (its contribution entries' lines on the campaign account), minor units.
   */
  collected: number;
  /** The campaign's other payouts through the sending provider in that currency that did not fail, minor units. */
  otherPayouts: number;
}

/**
 * May `payout` (amount in minor units) be sent through `provider`? Refused when the payout or its ledger
 * entry belongs to another provider, when it has no ledger entry, or when it and the campaign's other live
 * payouts through `provider` would exceed what `provider` ever collected for the campaign. Refunds and
 * disputes only lower what is payable, so that bound never refuses a payout the run computed rightly; and a
 * campaign that collected nothing through `provider` gets nothing through it.
 */
export function transferRefusal(
  payout: { provider: string; amount: number },
  facts: TransferFacts,
  provider: string,
): TransferRefusal | null {
  if (payout.provider !== provider) return "other_provider";
  if (facts.entryProvider === null) return "no_payout_entry";
  if (facts.entryProvider !== provider) return "entry_of_other_provider";
  if (payout.amount + facts.otherPayouts > facts.collected) return "more_than_collected";
  return null;
}
