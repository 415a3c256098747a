import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { formatDateTime, formatMoney } from "@/components/format";
import { SandboxMoneyNotice } from "@/components/SandboxMoneyNotice";
import { db, services } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { type AdminDispute, listDisputesForAdmin } from "@/lib/payments/disputes";
import { sandboxBalancesUnder } from "@/lib/payouts/balances";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Disputes" };

/** Stripe's dispute statuses, as a person reads them. */
const STATUS: Record<string, string> = {
  warning_needs_response: "Inquiry: needs response",
  warning_under_review: "Inquiry under review",
  warning_closed: "Inquiry closed",
  needs_response: "Needs response",
  under_review: "Under review",
  won: "Won",
  lost: "Lost",
};

function DisputeItem({ d }: { d: AdminDispute }) {
  return (
    <li className="contribution" data-dispute-id={d.id}>
      <div className="contribution-head">
        <Link href={`/campaigns/${d.campaignId}`} className="contribution-name">
          {d.campaignTitle}
        </Link>
        <span className="contribution-amount">{formatMoney(d.amount, d.currency)}</span>
      </div>
      <p className="contribution-meta small">
        {d.outcome ? (
          <span className={`badge ${d.outcome === "won" ? "badge-active" : "badge-suspended"}`}>
            {d.outcome === "won" ? "Won" : "Lost"}
          </span>
        ) : (
          <span className="badge badge-draft">{STATUS[d.status] ?? d.status}</span>
        )}{" "}
        <span className="muted">Reason: {d.reason ?? "not given"}</span>
      </p>
      <p className="muted small dispute-ids">
        Dispute <code>{d.id}</code> · contribution <code>{d.contributionId}</code>
      </p>
      <p className="muted small">
        Opened <time dateTime={d.createdAt}>{formatDateTime(d.createdAt)}</time>
        {d.closedAt && (
          <>
            {" "}
            · closed <time dateTime={d.closedAt}>{formatDateTime(d.closedAt)}</time>
          </>
        )}
        {d.fee > 0 && <> · fee {formatMoney(d.fee, d.currency)} (carried by the platform)</>}
      </p>
    </li>
  );
}

/** Admins only (anyone else gets the not-found page): open disputes, then the recently closed ones. */
export default async function AdminDisputesPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/admin/disputes");
  if (user.role !== "admin") notFound();
  const provider = services().payouts.provider.name;
  const [{ open, closed }, sandboxMoney] = await Promise.all([
    listDisputesForAdmin(db(), user, { closedLimit: 20 }),
    sandboxBalancesUnder(db(), provider),
  ]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Disputes</h1>
          <p className="muted">
            Chargebacks reported by the payment provider. While a dispute is open its amount is held from the campaign&apos;s
            payouts; respond to it in the provider&apos;s dashboard.
          </p>
        </div>
      </div>
      <SandboxMoneyNotice balances={sandboxMoney} provider={provider} />

      <section className="card" aria-labelledby="open-disputes-heading">
        <h2 id="open-disputes-heading">Open ({open.length})</h2>
        {open.length === 0 ? (
          <p className="muted">No open disputes.</p>
        ) : (
          <ul className="contribution-list">
            {open.map((d) => (
              <DisputeItem key={d.id} d={d} />
            ))}
          </ul>
        )}
      </section>

      <section className="card section" aria-labelledby="closed-disputes-heading">
        <h2 id="closed-disputes-heading">Recently closed</h2>
        {closed.length === 0 ? (
          <p className="muted">No closed disputes yet.</p>
        ) : (
          <ul className="contribution-list">
            {closed.map((d) => (
              <DisputeItem key={d.id} d={d} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
