import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { formatDateTime } from "@/components/format";
import { DismissReport, ModerateCampaign } from "@/components/ModerationControls";
import { StatusBadge } from "@/components/StatusBadge";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { moderationQueue, type ReportedCampaign } from "@/lib/moderation/reports";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Moderation" };

const REASON_LABELS: Record<string, string> = {
  fraud: "Fraud",
  misleading: "Misleading",
  inappropriate: "Inappropriate",
  spam: "Spam",
  other: "Other",
};

function ReportedItem({ c }: { c: ReportedCampaign }) {
  const canAct = !c.closedForAbuse;
  return (
    <li className="contribution" data-campaign-id={c.campaignId}>
      <div className="contribution-head">
        <Link href={`/campaigns/${c.campaignId}`} className="contribution-name">
          {c.title}
        </Link>
        <span className="contribution-amount">
          {c.openReports} open report{c.openReports === 1 ? "" : "s"}
        </span>
      </div>
      <p className="contribution-meta small">
        <StatusBadge status={c.status} />{" "}
        <span className="muted">Reasons: {c.reasons.map((r) => REASON_LABELS[r] ?? r).join(", ")}</span>
      </p>
      <ul className="report-list">
        {c.reports.map((r) => (
          <li key={r.id} className="small">
            <strong>{REASON_LABELS[r.reason] ?? r.reason}</strong> ·{" "}
            <time dateTime={r.createdAt}>{formatDateTime(r.createdAt)}</time>
            {r.details && <p className="report-details">{r.details}</p>}
            <DismissReport reportId={r.id} />
          </li>
        ))}
      </ul>
      {canAct && (
        <div className="moderation-actions">
          {c.status !== "suspended" && c.status !== "ended" && (
            <ModerateCampaign campaignId={c.campaignId} decision="suspend" label="Suspend…" title={c.title} />
          )}
          <ModerateCampaign campaignId={c.campaignId} decision="close" label="Close for abuse…" title={c.title} />
        </div>
      )}
    </li>
  );
}

/**
 * The admins' moderation queue (anyone else gets the not-found page): campaigns with open reports (most reported
 * first), open disputes (the list is /admin/disputes), suspended campaigns, and links to the mailbox and the
 * audit log. Every decision taken here is written to the audit log (docs/moderation.md).
 */
export default async function AdminPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/admin");
  if (user.role !== "admin") notFound();
  const { reported, suspended, openDisputes } = await moderationQueue(db(), user);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Moderation</h1>
          <p className="muted">
            Reports from users, open disputes and suspended campaigns. Every action taken here is kept in the{" "}
            <Link href="/admin/audit">audit log</Link>.
          </p>
        </div>
      </div>
      <nav className="card admin-links" aria-label="Admin pages">
        <ul className="stat-list">
          <li>
            <Link href="/admin/disputes">Disputes</Link> ({openDisputes} open)
          </li>
          <li>
            <Link href="/admin/mail">Mailbox</Link>
          </li>
          <li>
            <Link href="/admin/audit">Audit log</Link>
          </li>
        </ul>
      </nav>

      <section className="card section" aria-labelledby="reports-heading">
        <h2 id="reports-heading">Reported campaigns ({reported.length})</h2>
        {reported.length === 0 ? (
          <p className="muted">No open reports.</p>
        ) : (
          <ul className="contribution-list">
            {reported.map((c) => (
              <ReportedItem key={c.campaignId} c={c} />
            ))}
          </ul>
        )}
      </section>

      <section className="card section" aria-labelledby="disputes-heading">
        <h2 id="disputes-heading">Open disputes</h2>
        <p>
          {openDisputes === 0 ? "No open disputes." : `${openDisputes} open dispute${openDisputes === 1 ? "" : "s"}.`}{" "}
          <Link href="/admin/disputes">See the disputes</Link>
        </p>
      </section>

      <section className="card section" aria-labelledby="suspended-heading">
        <h2 id="suspended-heading">Suspended campaigns ({suspended.length})</h2>
        {suspended.length === 0 ? (
          <p className="muted">No suspended campaigns.</p>
        ) : (
          <ul className="contribution-list">
            {suspended.map((s) => (
              <li key={s.campaignId} className="contribution" data-campaign-id={s.campaignId}>
                <div className="contribution-head">
                  <Link href={`/campaigns/${s.campaignId}`} className="contribution-name">
                    {s.title}
                  </Link>
                  {s.suspendedAt && (
                    <span className="muted small">
                      since <time dateTime={s.suspendedAt}>{formatDateTime(s.suspendedAt)}</time>
                    </span>
                  )}
                </div>
                {s.reason && <p className="muted small">Reason: {s.reason}</p>}
                <div className="moderation-actions">
                  <ModerateCampaign campaignId={s.campaignId} decision="reinstate" label="Reinstate" title={s.title} />
                  <ModerateCampaign campaignId={s.campaignId} decision="close" label="Close for abuse…" title={s.title} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
