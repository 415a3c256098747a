import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { ContributionStatus } from "@/components/ContributionStatus";
import { formatDateTime, formatMoney } from "@/components/format";
import { Pager } from "@/components/Pager";
import { RefundForm } from "@/components/RefundForm";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { pageCursor } from "@/lib/campaigns/schemas";
import { AppError } from "@/lib/errors";
import { listCampaignContributionsForOwner, type OwnerContributionPage } from "@/lib/payments/contributions";
import { isPaid } from "@/lib/payments/settle";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Contributions" };

const PAGE_SIZE = 20;

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
};

/** A campaign's contributions for its creator (or an admin), each paid one with its Refund action. */
export default async function CampaignContributionsPage({ params, searchParams }: Props) {
  const { id } = await params;
  const here = `/dashboard/campaigns/${encodeURIComponent(id)}/contributions`;
  const user = await sessionUser();
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(here)}`);
  const cursor = pageCursor((await searchParams).cursor);
  let page: OwnerContributionPage;
  try {
    page = await listCampaignContributionsForOwner(db(), user, id, { limit: PAGE_SIZE, cursor });
  } catch (err) {
    if (err instanceof AppError && err.code === "CAMPAIGN_NOT_FOUND") notFound();
    throw err;
  }
  const { campaign, items, nextCursor } = page;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Contributions</h1>
          <p className="muted">
            to <Link href={`/campaigns/${campaign.id}`}>{campaign.title}</Link>
          </p>
        </div>
        <div className="actions">
          {/* A plain download (no client-side routing): the API streams every contribution as CSV. */}
          <a href={`/api/campaigns/${campaign.id}/contributions/export`} className="btn btn-secondary" download>
            Download all (CSV)
          </a>
          <Link href="/dashboard" className="btn btn-ghost">
            Back to my campaigns
          </Link>
        </div>
      </div>

      {items.length === 0 ? (
        <div className="empty-state card">
          <h2>{cursor ? "No more contributions" : "No contributions yet"}</h2>
          <p className="muted">
            {cursor ? "You have reached the end of the list." : "Share your campaign: contributions appear here as they come in."}
          </p>
          {cursor && (
            <Link href={here} className="btn btn-primary">
              Back to the first page
            </Link>
          )}
        </div>
      ) : (
        <section className="card" aria-label="Contributions, newest first">
          <ul className="contribution-list owner-contributions">
            {items.map((c) => {
              const remaining = c.amount - c.refundedAmount;
              return (
                <li key={c.id} className="contribution" data-contribution-id={c.id}>
                  <div className="contribution-head">
                    <strong className="contribution-name">{c.name}</strong>
                    <span className="contribution-amount">{formatMoney(c.amount, c.currency)}</span>
                  </div>
                  <p className="contribution-meta">
                    <time className="muted small" dateTime={c.createdAt}>
                      {formatDateTime(c.createdAt)}
                    </time>{" "}
                    <ContributionStatus status={c.status} refundedAmount={c.refundedAmount} currency={c.currency} />
                  </p>
                  {c.message && <p className="contribution-message">{c.message}</p>}
                  {c.openDispute ? (
                    <p className="dispute-note">
                      Disputed — {formatMoney(c.openDispute.amount, c.currency)} held while the card issuer reviews it
                    </p>
                  ) : (
                    isPaid(c.status) && (
                      <RefundForm
                        contributionId={c.id}
                        currency={c.currency}
                        remaining={remaining}
                        donor={c.name}
                        anonymous={c.anonymous}
                        idempotencyKey={randomUUID()}
                        refundable={remaining > 0}
                      />
                    )
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      )}

      <Pager path={here} cursor={cursor} nextCursor={nextCursor} />
    </>
  );
}
