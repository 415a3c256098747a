import { accounts } from "@/lib/ledger";

/**
 * A USD contribution entry as the webhook posts it (lib/payments/settle.ts): the sandbox's clearing account
 * debited and the campaign's collected account credited `amount` minor units, and when `fee` (minor units) is
 * given, the platform's fee moved from the campaign to the fees account; for tests that post to the ledger
 * directly.
 */
export const contributionEntry = (reference: string, campaign: string, amount: number, fee = 0) => ({
  kind: "contribution",
  reference,
  description: "test contribution",
  provider: "sandbox",
  currency: "USD",
  lines: [
    { account: accounts.providerClearing("sandbox"), amount },
    { account: accounts.campaignCollected(campaign), amount: -amount },
    ...(fee > 0
      ? [
          { account: accounts.campaignCollected(campaign), amount: fee },
          { account: accounts.platformFees(), amount: -fee },
        ]
      : []),
  ],
});
