import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ConnectPayoutAccount } from "@/components/ConnectPayoutAccount";
import { describeFee, describePayoutMinimum } from "@/components/format";
import { db, services } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { config } from "@/lib/config";
import { accountHold, getPayoutAccount } from "@/lib/payouts";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Payout account" };

export default async function PayoutSettingsPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/settings/payouts");
  const s = services().payouts;
  const account = await getPayoutAccount(db(), s, user.id);
  const c = config();
  return (
    <>
      <h1>Payout account</h1>
      <p className="muted">
        Once a day (cut-off 00:00 {c.PAYOUT_TIMEZONE}) the money your campaigns collected is sent to this account, with{" "}
        {describeFee(c.PLATFORM_FEE_BPS)} taken from each contribution. A campaign is paid once what waits reaches the payout
        minimum: {describePayoutMinimum(c.PAYOUT_MINIMUM_MINOR)}.
      </p>
      <div className="card">
        {account ? (
          <dl className="stat-list">
            <div>
              <dt>Account</dt>
              <dd>
                <code>{account.accountId}</code> ({s.provider.name === "sandbox" ? "simulated, sandbox" : "Stripe Connect"})
              </dd>
            </div>
            <div>
              <dt>Payouts</dt>
              <dd data-testid="payouts-enabled">
                {account.payoutsEnabled
                  ? "Enabled"
                  : `Not enabled yet${account.disabledReason ? ` (${account.disabledReason})` : ""}`}
              </dd>
            </div>
          </dl>
        ) : (
          <p>You have no payout account yet: the money your campaigns collect waits until you connect one.</p>
        )}
        {accountHold(account) && (
          <ConnectPayoutAccount label={account ? "Finish setting up payouts" : "Connect a payout account"} />
        )}
      </div>
    </>
  );
}
