import type { ProviderBalances } from "@/lib/payouts/balances";
import { describeBalances } from "@/lib/payouts/balances";

/**
 * For admins: campaigns still hold sandbox (test) money while payouts go through `provider` (Stripe). That
 * money is never paid out (docs/payouts.md, "Provider separation"). `balances` comes from lib's
 * sandboxBalancesUnder; nothing is rendered when it is null.
 */
export function SandboxMoneyNotice({ balances, provider }: { balances: ProviderBalances | null; provider: string }) {
  if (!balances) return null;
  return (
    <div className="notice" role="alert" data-testid="sandbox-money-notice">
      <strong>Sandbox money in campaign accounts.</strong> {describeBalances(balances)}, collected while this site ran on the
      sandbox. Payouts go through {provider === "stripe" ? "Stripe" : provider} and never pay it out: it is test money, not real
      funds.
    </div>
  );
}
