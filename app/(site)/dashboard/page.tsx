import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { CampaignCard } from "@/components/CampaignCard";
import { describeFee } from "@/components/format";
import { Pager } from "@/components/Pager";
import { PayoutHistory } from "@/components/PayoutHistory";
import { PayoutLine } from "@/components/PayoutLine";
import { SandboxMoneyNotice } from "@/components/SandboxMoneyNotice";
import { db, services } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { listCreatorCampaigns } from "@/lib/campaigns";
import { pageCursor } from "@/lib/campaigns/schemas";
import { config } from "@/lib/config";
import { accountHold, campaignPayoutSummaries, getPayoutAccount, listCreatorPayouts, payoutHold } from "@/lib/payouts";
import { sandboxBalancesUnder } from "@/lib/payouts/balances";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "My campaigns" };

const PAGE_SIZE = 12;

export default async function DashboardPage({
  searchParams,
}: {
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
}) {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/dashboard");
  // A cursor not made by us is ignored (first page) rather than sent to the database.
  const cursor = pageCursor((await searchParams).cursor);
  const { items, nextCursor } = await listCreatorCampaigns(db(), { creatorId: user.id, limit: PAGE_SIZE, cursor });
  const c = config();
  const provider = services().payouts.provider.name;
  const [summaries, account, history, sandboxMoney] = await Promise.all([
    campaignPayoutSummaries(
      db(),
      items.map((i) => i.id),
      provider,
    ),
    getPayoutAccount(db(), services().payouts, user.id, { refresh: false }),
    listCreatorPayouts(db(), { creatorId: user.id, limit: 20 }),
    user.role === "admin" ? sandboxBalancesUnder(db(), provider) : null,
  ]);
  const accountBlocker = accountHold(account);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My campaigns</h1>
          <p className="muted">Signed in as {user.name}</p>
        </div>
        <div className="actions">
          {user.role === "admin" && (
            <Link href="/admin/disputes" className="btn btn-secondary">
              Disputes
            </Link>
          )}
          <Link href="/campaigns/new" className="btn btn-primary">
            Start a campaign
          </Link>
        </div>
      </div>
      <SandboxMoneyNotice balances={sandboxMoney} provider={provider} />
      {accountBlocker && (
        <div className="notice" role="status">
          {accountBlocker === "no_payout_account"
            ? "Connect a payout account to receive the money your campaigns collect. "
            : `Your payout account cannot receive payouts yet${account?.disabledReason ? ` (${account.disabledReason})` : ""}. `}
          <Link href="/settings/payouts">Payout settings</Link>
        </div>
      )}

      {items.length === 0 ? (
        <div className="empty-state card">
          <h2>{cursor ? "No more campaigns" : "You have no campaigns yet"}</h2>
          <p className="muted">
            {cursor ? "You have reached the end of the list." : "Create your first campaign and share it with the world."}
          </p>
          <Link href={cursor ? "/dashboard" : "/campaigns/new"} className="btn btn-primary">
            {cursor ? "Back to the first page" : "Create a campaign"}
          </Link>
        </div>
      ) : (
        <div className="card-grid">
          {items.map((campaign) => {
            const s = summaries.get(campaign.id);
            return (
              <CampaignCard key={campaign.id} campaign={campaign}>
                {s && (
                  <PayoutLine
                    summary={s}
                    hold={payoutHold({
                      due: s.unpaid,
                      minimum: c.PAYOUT_MINIMUM_MINOR,
                      campaignStatus: campaign.status,
                      frozen: s.frozen,
                      account,
                    })}
                    minimum={c.PAYOUT_MINIMUM_MINOR}
                    feeBps={c.PLATFORM_FEE_BPS}
                    timeZone={c.PAYOUT_TIMEZONE}
                    holdHours={c.PAYOUT_HOLD_HOURS}
                  />
                )}
                <p className="card-links">
                  <Link href={`/dashboard/campaigns/${campaign.id}/contributions`}>Contributions and refunds</Link>
                </p>
              </CampaignCard>
            );
          })}
        </div>
      )}

      <Pager path="/dashboard" cursor={cursor} nextCursor={nextCursor} />

      <section className="section" aria-labelledby="payouts-heading">
        <h2 id="payouts-heading">Payouts</h2>
        <p className="muted small">
          Once a day, what your campaigns collected is sent to your <Link href="/settings/payouts">payout account</Link>, with{" "}
          {describeFee(c.PLATFORM_FEE_BPS)} taken.
        </p>
        <PayoutHistory items={history.items} />
      </section>
    </>
  );
}
