import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { ContributionStatus } from "@/components/ContributionStatus";
import { formatDate, formatDateTime, formatMoney } from "@/components/format";
import { Pager } from "@/components/Pager";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { pageCursor } from "@/lib/campaigns/schemas";
import { listOwnContributions } from "@/lib/payments/contributions";
import type { RefundDto } from "@/lib/payments/schemas";
import { isPaid } from "@/lib/payments/settle";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "My contributions" };

const PAGE_SIZE = 20;

const REFUND_LABEL: Record<RefundDto["status"], string> = {
  pending: "on its way back",
  succeeded: "refunded",
  failed: "refund failed",
};

/** The signed-in user's contributions, newest first, with what was refunded of each. */
export default async function MyContributionsPage({
  searchParams,
}: {
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
}) {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/contributions");
  const cursor = pageCursor((await searchParams).cursor);
  const { items, nextCursor } = await listOwnContributions(db(), user, { limit: PAGE_SIZE, cursor });

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My contributions</h1>
          <p className="muted">What you gave, and any money a campaign gave back to you.</p>
        </div>
        <ReceiptYears />
      </div>

      {items.length === 0 ? (
        <div className="empty-state card">
          <h2>{cursor ? "No more contributions" : "You have not contributed yet"}</h2>
          <p className="muted">{cursor ? "You have reached the end of the list." : "Find a cause you care about."}</p>
          <Link href={cursor ? "/contributions" : "/"} className="btn btn-primary">
            {cursor ? "Back to the first page" : "Browse campaigns"}
          </Link>
        </div>
      ) : (
        <section className="card" aria-label="Your contributions, newest first">
          <ul className="contribution-list">
            {items.map((c) => (
              <li key={c.id} className="contribution" data-contribution-id={c.id}>
                <div className="contribution-head">
                  <Link href={`/campaigns/${c.campaign.id}`} className="contribution-name">
                    {c.campaign.title}
                  </Link>
                  <span className="contribution-amount">{formatMoney(c.amount, c.currency)}</span>
                </div>
                <p className="contribution-meta">
                  <time className="muted small" dateTime={c.createdAt}>
                    {formatDateTime(c.createdAt)}
                  </time>{" "}
                  <ContributionStatus status={c.status} refundedAmount={c.refundedAmount} currency={c.currency} />
                </p>
                {c.failure && <p className="muted small">{c.failure.message}</p>}
                {c.status !== "requires_action" && isPaid(c.status) && (
                  <p className="small">
                    <Link href={`/contributions/${c.id}/receipt`}>Receipt</Link>
                  </p>
                )}
                {c.refundedAmount > 0 && (
                  <p className="small">
                    Refunded to you: <strong>{formatMoney(c.refundedAmount, c.currency)}</strong> of{" "}
                    {formatMoney(c.amount, c.currency)}
                  </p>
                )}
                {c.refunds.length > 0 && (
                  <ul className="plain-list refund-list" aria-label="Refunds">
                    {c.refunds.map((r) => (
                      <li key={r.id} className="small">
                        {formatMoney(r.amount, r.currency)} {REFUND_LABEL[r.status]} ·{" "}
                        <time dateTime={r.createdAt}>{formatDate(r.createdAt)}</time>
                        {r.reason && <span className="muted"> · {r.reason}</span>}
                        {r.failure && <span className="muted"> · {r.failure.message}</span>}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      <Pager path="/contributions" cursor={cursor} nextCursor={nextCursor} />
    </>
  );
}

/**
 * "Receipts for your taxes": this year's and last year's receipts as one CSV download each
 * (app/(site)/contributions/receipts/[year]); a plain download, no client-side routing.
 */
function ReceiptYears() {
  const year = new Date().getUTCFullYear();
  return (
    <p className="small receipt-years">
      Receipts for your taxes:{" "}
      {[year, year - 1].map((y, i) => (
        <span key={y}>
          {i > 0 && " · "}
          <a href={`/contributions/receipts/${y}`} download>
            {y} (CSV)
          </a>
        </span>
      ))}
    </p>
  );
}
