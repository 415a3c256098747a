import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { formatDateTime } from "@/components/format";
import { TableWrap } from "@/components/TableWrap";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { listAdminActions } from "@/lib/moderation/audit";
import { auditQuerySchema } from "@/lib/moderation/schemas";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit log" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Where a subject links to, when it has a page. */
function subjectHref(type: string, id: string, details: Record<string, unknown>): string | undefined {
  if (type === "campaign") return `/campaigns/${id}`;
  const campaignId = typeof details.campaignId === "string" ? details.campaignId : undefined;
  return campaignId ? `/campaigns/${campaignId}` : undefined;
}

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([k]) => k !== "campaignId")
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

/**
 * The admin audit log (admins only; anyone else gets the not-found page): newest first, 50 a page, keyset
 * paginated; a GET form filters by subject (type and/or ID). The same read as GET /api/admin/audit.
 */
export default async function AdminAuditPage({ searchParams }: Props) {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/admin/audit");
  if (user.role !== "admin") notFound();
  const sp = await searchParams;
  const subjectId = first(sp.subjectId)?.trim() || undefined;
  const rawType = first(sp.subjectType) || undefined;
  // A malformed cursor or filter is the first page, unfiltered by it (as other list pages treat a bad cursor).
  const parsed = auditQuerySchema.safeParse({ cursor: first(sp.cursor), subjectType: rawType, subjectId });
  const q = parsed.success ? parsed.data : auditQuerySchema.parse({});
  const { items, nextCursor } = await listAdminActions(db(), user, q);
  const filter = new URLSearchParams();
  if (q.subjectType) filter.set("subjectType", q.subjectType);
  if (q.subjectId) filter.set("subjectId", q.subjectId);
  const base = `/admin/audit${filter.size ? `?${filter}` : ""}`;
  const next = nextCursor ? `/admin/audit?${new URLSearchParams([...filter, ["cursor", nextCursor]])}` : undefined;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="muted">
            Every admin action, newest first, written with the change it records. <Link href="/admin">Back to moderation</Link>
          </p>
        </div>
      </div>

      <form className="card audit-filter" method="get" action="/admin/audit" aria-label="Filter by subject">
        <div className="field">
          <label htmlFor="audit-subject-type">Subject type</label>
          <select id="audit-subject-type" name="subjectType" defaultValue={q.subjectType ?? ""}>
            <option value="">Any</option>
            <option value="campaign">Campaign</option>
            <option value="report">Report</option>
            <option value="contribution">Contribution</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-subject-id">Subject ID</label>
          <input id="audit-subject-id" name="subjectId" defaultValue={q.subjectId ?? ""} maxLength={100} />
        </div>
        <button type="submit" className="btn btn-secondary">
          Filter
        </button>
      </form>

      {items.length === 0 ? (
        <p className="muted section">No admin actions{filter.size ? " for this subject" : ""} yet.</p>
      ) : (
        <TableWrap label="Admin actions">
          <table className="table audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Subject</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const href = subjectHref(e.subjectType, e.subjectId, e.details);
                return (
                  <tr key={e.seq} data-audit-action={e.action}>
                    <td>
                      <time dateTime={e.createdAt}>{formatDateTime(e.createdAt)}</time>
                    </td>
                    <td>{e.actor ? e.actor.name : "Operator (CLI)"}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      {e.subjectType}{" "}
                      {href ? (
                        <Link href={href}>
                          <code>{e.subjectId}</code>
                        </Link>
                      ) : (
                        <code>{e.subjectId}</code>
                      )}
                    </td>
                    <td className="small">{detailsText(e.details)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      {(q.cursor || next) && (
        <nav className="pager" aria-label="Pagination">
          {q.cursor ? <Link href={base}>First page</Link> : <span />}
          {next && (
            <Link href={next} className="btn btn-secondary" rel="next">
              Next page
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
