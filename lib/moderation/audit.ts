import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import { adminAuditLog, campaignReports, users } from "@/db/schema";
import { AppError } from "@/lib/errors";
import type { PublicUser } from "@/lib/users";
import type { AuditEntryDto, AuditQuery } from "./schemas";

/** What an admin action was done to (admin_audit_log.subject_type). */
export type AuditSubject = "campaign" | "report" | "contribution";

/**
 * One admin action, as `recordAdminAction` writes it. `action` is a dotted name ("campaign.suspend",
 * "campaign.reinstate", "campaign.end", "campaign.reword", "campaign.close_for_abuse", "report.dismiss",
 * "contribution.refund"); `details` keeps the reason given and whatever else explains the act (a JSON object).
 */
export interface AdminAction {
  /** The admin; null for an operator's CLI command (the platform itself). */
  actor: PublicUser | null;
  action: string;
  subjectType: AuditSubject;
  subjectId: string;
  details?: Record<string, unknown>;
}

/**
 * Append one row to the admin audit log (docs/moderation.md). Call it with the transaction that makes the
 * change (`tx`), so that the record and the change commit together or not at all: an action refused or rolled
 * back leaves no row. The app's database role may only INSERT into the table (migration 0016).
 */
export async function recordAdminAction(tx: Db, a: AdminAction): Promise<void> {
  await tx.insert(adminAuditLog).values({
    actorId: a.actor?.id ?? null,
    action: a.action,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    details: a.details ?? {},
  });
}

/**
 * GET /api/admin/audit and /admin/audit: the audit log, newest first, keyset-paginated on `seq` (the cursor is
 * the last entry's seq, as a decimal string), optionally one subject's only (`subjectType` and/or `subjectId`:
 * the subject index serves the pair). Admins only: FORBIDDEN for anyone else.
 */
export async function listAdminActions(
  db: Db,
  viewer: PublicUser,
  q: AuditQuery,
): Promise<{ items: AuditEntryDto[]; nextCursor: string | null }> {
  if (viewer.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can read the audit log");
  const rows = await db
    .select({
      seq: adminAuditLog.seq,
      actorId: adminAuditLog.actorId,
      actorName: users.name,
      action: adminAuditLog.action,
      subjectType: adminAuditLog.subjectType,
      subjectId: adminAuditLog.subjectId,
      details: adminAuditLog.details,
      createdAt: adminAuditLog.createdAt,
    })
    .from(adminAuditLog)
    .leftJoin(users, eq(users.id, adminAuditLog.actorId))
    .where(
      and(
        q.cursor ? lt(adminAuditLog.seq, Number(q.cursor)) : undefined,
        q.subjectType ? eq(adminAuditLog.subjectType, q.subjectType) : undefined,
        q.subjectId ? eq(adminAuditLog.subjectId, q.subjectId) : undefined,
      ),
    )
    .orderBy(desc(adminAuditLog.seq))
    .limit(q.limit + 1);
  const { page, nextCursor } = keysetPage(rows, q.limit, (r) => String(r.seq));
  return {
    items: page.map((r) => ({
      seq: r.seq,
      actor: r.actorId ? { id: r.actorId, name: r.actorName ?? "" } : null,
      action: r.action,
      subjectType: r.subjectType as AuditEntryDto["subjectType"],
      subjectId: r.subjectId,
      details: (r.details ?? {}) as Record<string, unknown>,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor,
  };
}

/**
 * Mark every open report of campaign `campaignId` `actioned` by `actor` (null: an operator's CLI command), in
 * the caller's transaction `tx`: suspending a campaign or closing it for abuse acts on what was reported
 * (lib/campaigns `updateCampaign`, `closeCampaignForAbuse`). Answers how many reports it closed.
 */
export async function markReportsActioned(tx: Db, campaignId: string, actor: PublicUser | null): Promise<number> {
  const done = await tx
    .update(campaignReports)
    .set({ status: "actioned", resolvedBy: actor?.id ?? null, resolvedAt: new Date() })
    .where(and(eq(campaignReports.campaignId, campaignId), eq(campaignReports.status, "open")))
    .returning({ id: campaignReports.id });
  return done.length;
}
