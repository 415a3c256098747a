import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { formatMoney } from "@/lib/money/currency";

/**
 * Provider separation, as operators see it (docs/payouts.md, "Provider separation"): money a campaign
 * holds belongs to the provider that collected it, and a payout run pays only its own provider's money.
 * Sandbox money left in campaign accounts after the deployment switched to Stripe is therefore never paid
 * out; the start-up log (lib/app/roles.ts) and the admin pages say that it is there.
 */

/** What campaigns hold of one provider's money. */
export interface ProviderBalances {
  provider: string;
  /** Campaigns whose accounts (collected and held for disputes) hold a non-zero amount of it, in some currency. */
  campaigns: number;
  /** Per currency (ISO 4217, upper case), the sum of those balances, minor units; positive = owed to campaigns. */
  amounts: Record<string, number>;
}

/**
 * The sandbox money campaigns still hold, when the deployment's payment provider is another one
 * (`activeProvider`, e.g. "stripe"); null when `activeProvider` is the sandbox itself or no campaign holds
 * sandbox money. One query: the lines of sandbox entries on `campaign_collected` and `campaign_held`
 * accounts, per campaign and currency. It reads every campaign line, so call it once at start-up or per
 * admin page view, not per request.
 */
export async function sandboxBalancesUnder(db: Db, activeProvider: string): Promise<ProviderBalances | null> {
  if (activeProvider === "sandbox") return null;
  const rows = await db.execute<{ currency: string; campaigns: string; amount: string }>(sql`
    with balances as (
      select a.owner, a.currency, -sum(l.amount) as amount
      from ledger_accounts a
      join ledger_lines l on l.account_id = a.id
      join ledger_entries e on e.id = l.entry_id
      where a.kind in ('campaign_collected', 'campaign_held') and e.provider = 'sandbox'
      group by a.owner, a.currency
      having sum(l.amount) <> 0
    )
    select currency, count(distinct owner) as campaigns, sum(amount) as amount
    from balances group by rollup (currency) order by currency nulls first`);
  // The rollup's first row (currency null) counts each campaign once across currencies.
  const [total, ...perCurrency] = rows;
  if (!total || Number(total.campaigns) === 0) return null;
  return {
    provider: "sandbox",
    campaigns: Number(total.campaigns),
    amounts: Object.fromEntries(perCurrency.map((r) => [r.currency.trim(), Number(r.amount)])),
  };
}

/** One sentence for the log and the admin notice, e.g. "2 campaigns hold sandbox money (USD $95.00, EUR €38.00)". */
export function describeBalances(b: ProviderBalances): string {
  const amounts = Object.entries(b.amounts)
    .map(([currency, amount]) => `${currency} ${formatMoney(amount, currency)}`)
    .join(", ");
  return `${b.campaigns} campaign${b.campaigns === 1 ? " holds" : "s hold"} ${b.provider} money (${amounts})`;
}
