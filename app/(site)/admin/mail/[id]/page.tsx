import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { validate as isUuid } from "uuid";
import { formatDateTime } from "@/components/format";
import { MAIL_STATUS } from "@/components/mailStatus";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { getMail } from "@/lib/mail/queue";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Message" };

/** One queued message for admins (others: not found): its headers, status, and plain-text part as sent. */
export default async function AdminMailMessagePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await sessionUser();
  const { id } = await params;
  if (!user) redirect(`/signin?callbackUrl=/admin/mail/${encodeURIComponent(id)}`);
  if (user.role !== "admin" || !isUuid(id)) notFound();
  const m = await getMail(db(), id);
  if (!m) notFound();
  const s = MAIL_STATUS[m.status] ?? { label: m.status, badge: "badge-draft" };
  return (
    <>
      <p>
        <Link href="/admin/mail">← Mailbox</Link>
      </p>
      <h1>{m.subject}</h1>
      <div className="card">
        <dl className="stat-list">
          <div>
            <dt>To</dt>
            <dd>{m.toAddress}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`badge ${s.badge}`}>{s.label}</span>
              {m.sentAt && (
                <>
                  {" "}
                  <time dateTime={m.sentAt.toISOString()}>{formatDateTime(m.sentAt)}</time>
                </>
              )}
            </dd>
          </div>
          <div>
            <dt>Queued</dt>
            <dd>
              <time dateTime={m.createdAt.toISOString()}>{formatDateTime(m.createdAt)}</time> ({m.kind}, {m.attempts}{" "}
              {m.attempts === 1 ? "attempt" : "attempts"})
            </dd>
          </div>
          {m.lastError && (
            <div>
              <dt>Last error</dt>
              <dd>{m.lastError}</dd>
            </div>
          )}
          {m.unsubscribeUrl && (
            <div>
              <dt>List-Unsubscribe</dt>
              <dd className="small">
                <code>{m.unsubscribeUrl}</code>
              </dd>
            </div>
          )}
        </dl>
      </div>
      <section className="card section" aria-labelledby="mail-text-heading">
        <h2 id="mail-text-heading">Text</h2>
        <pre className="mail-text" data-testid="mail-text">
          {m.textBody}
        </pre>
      </section>
    </>
  );
}
