import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { formatDate, formatDateTime, formatMoney } from "@/components/format";
import { PrintButton } from "@/components/PrintButton";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { type Receipt, receiptFor } from "@/lib/payments/receipts";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Receipt" };

type Props = { params: Promise<{ id: string }> };

/**
 * A paid contribution's numbered receipt, for its donor only (404 for anyone else, and for a contribution never
 * paid), laid out to print on one page (print CSS hides the site's header and footer and the buttons).
 */
export default async function ReceiptPage({ params }: Props) {
  const { id } = await params;
  const user = await sessionUser();
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(`/contributions/${id}/receipt`)}`);
  let r: Receipt;
  try {
    r = await receiptFor(db(), user, id);
  } catch (err) {
    if (err instanceof AppError && err.code === "CONTRIBUTION_NOT_FOUND") notFound();
    throw err;
  }
  const m = (n: number) => formatMoney(n, r.currency);
  const year = new Date(r.paidAt).getUTCFullYear();
  return (
    <article className="card receipt" aria-labelledby="receipt-heading">
      <div className="receipt-head">
        <h1 id="receipt-heading">Receipt No. {r.receiptNumber}</h1>
        <div className="actions no-print">
          <PrintButton />
          <Link href="/contributions" className="btn btn-ghost">
            My contributions
          </Link>
        </div>
      </div>
      <dl className="receipt-facts">
        <dt>Date</dt>
        <dd>
          <time dateTime={r.paidAt}>{formatDateTime(r.paidAt)}</time>
        </dd>
        <dt>Donor</dt>
        <dd>
          {r.donor.name} ({r.donor.email})
        </dd>
        <dt>Campaign</dt>
        <dd>
          <Link href={`/campaigns/${r.campaign.id}`}>{r.campaign.title}</Link>
        </dd>
        <dt>Created by</dt>
        <dd>{r.creator.name}</dd>
        <dt>Amount</dt>
        <dd data-testid="receipt-amount">{m(r.amount)}</dd>
        <dt>Payment reference</dt>
        <dd>
          {r.providerReference ?? "—"} <span className="muted small">({r.provider})</span>
        </dd>
        {r.refunds.length > 0 && (
          <>
            <dt>Refunded</dt>
            <dd>
              <ul className="plain-list">
                {r.refunds.map((f) => (
                  <li key={f.createdAt}>
                    {m(f.amount)} on {formatDate(f.createdAt)}
                    {f.status === "pending" && " (on its way back)"}
                  </li>
                ))}
              </ul>
            </dd>
            <dt>Net contribution</dt>
            <dd data-testid="receipt-net">{m(r.netAmount)}</dd>
          </>
        )}
      </dl>
      <p className="muted small">
        Contribution ID {r.contributionId}. All your receipts of {year}:{" "}
        <a href={`/contributions/receipts/${year}`} download>
          download {year} (CSV)
        </a>
        .
      </p>
    </article>
  );
}
