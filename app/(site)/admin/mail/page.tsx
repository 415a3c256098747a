import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { validate as isUuid } from "uuid";
import { formatDateTime } from "@/components/format";
import { MAIL_STATUS } from "@/components/mailStatus";
import { Pager } from "@/components/Pager";
import { TableWrap } from "@/components/TableWrap";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { config } from "@/lib/config";
import { listMail } from "@/lib/mail/queue";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Mailbox" };

/**
 * Admins only (anyone else gets the not-found page): every queued message, newest first, 50 a page, with its
 * status, recipient and subject; a subject opens the message. Without SMTP_URL nothing is sent and this is
 * where a newcomer sees what would have been (docs/mail.md).
 */
export default async function AdminMailPage({ searchParams }: { searchParams: Promise<{ cursor?: string }> }) {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/admin/mail");
  if (user.role !== "admin") notFound();
  const { cursor } = await searchParams;
  const before = cursor && isUuid(cursor) ? cursor : undefined;
  const { items, next } = await listMail(db(), { limit: 50, before });
  const smtp = Boolean(config().SMTP_URL);
  return (
    <>
      <h1>Mailbox</h1>
      <p className="muted">
        {smtp
          ? "Every message the app queued and what became of it."
          : "No SMTP server is configured (SMTP_URL), so nothing is sent: here is every message that would have been."}
      </p>
      {items.length === 0 ? (
        <p className="card muted">No messages yet.</p>
      ) : (
        <TableWrap label="Messages">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Status</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => {
                const s = MAIL_STATUS[m.status] ?? { label: m.status, badge: "badge-draft" };
                return (
                  <tr key={m.id} data-mail-id={m.id} data-kind={m.kind}>
                    <td>
                      <time dateTime={m.createdAt.toISOString()}>{formatDateTime(m.createdAt)}</time>
                    </td>
                    <td>
                      <span className={`badge ${s.badge}`}>{s.label}</span>
                    </td>
                    <td>{m.toAddress}</td>
                    <td>
                      <Link href={`/admin/mail/${m.id}`}>{m.subject}</Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager path="/admin/mail" cursor={before} nextCursor={next ?? null} />
    </>
  );
}
