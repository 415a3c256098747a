import { and, desc, eq, sql } from "drizzle-orm";
import { validate as isUuid, v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { campaignReports, campaigns } from "@/db/schema";
import { getCampaignTerms } from "@/lib/campaigns";
import { AppError } from "@/lib/errors";
import type { PublicUser } from "@/lib/users";
import { recordAdminAction } from "./audit";
import type { CreateReportInput, ReportDto, ReportReason } from "./schemas";

type ReportRow = typeof campaignReports.$inferSelect;

function toReportDto(r: ReportRow): ReportDto {
  return {
    id: r.id,
    campaignId: r.campaignId,
    reason: r.reason,
    details: r.details,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * POST /api/campaigns/{id}/reports (and the campaign page's "Report this campaign" form): `reporter` reports
 * campaign `campaignId` with a reason and optional details (docs/moderation.md). One open report per reporter
 * and campaign (the partial unique index `campaign_reports_open_idx`): a second one answers the open report
 * already made, unchanged (`created: false`), not an error. Once an admin has dismissed or actioned it, a new
 * report may be made.
 * Throws CAMPAIGN_NOT_FOUND (unknown ID, or a draft the reporter may not see), FORBIDDEN (the reporter's own
 * campaign).
 */
export async function reportCampaign(
  db: Db,
  reporter: PublicUser,
  campaignId: string,
  input: CreateReportInput,
): Promise<{ report: ReportDto; created: boolean }> {
  const campaign = await getCampaignTerms(db, campaignId, reporter);
  if (campaign.creatorId === reporter.id) throw new AppError("FORBIDDEN", "You cannot report your own campaign");
  for (let attempt = 0; attempt < 3; attempt++) {
    const [made] = await db
      .insert(campaignReports)
      .values({
        id: uuidv7(),
        campaignId,
        reporterId: reporter.id,
        reason: input.reason,
        details: input.details ?? null,
      })
      .onConflictDoNothing({
        target: [campaignReports.campaignId, campaignReports.reporterId],
        where: sql`status = 'open'`,
      })
      .returning();
    if (made) return { report: toReportDto(made), created: true };
    const [open] = await db
      .select()
      .from(campaignReports)
      .where(
        and(
          eq(campaignReports.campaignId, campaignId),
          eq(campaignReports.reporterId, reporter.id),
          eq(campaignReports.status, "open"),
        ),
      );
    if (open) return { report: toReportDto(open), created: false };
    // resolved between the insert and the read: the next insert makes a new one
  }
  throw new Error("report: neither inserted nor found");
}

/**
 * An admin dismisses report `reportId` (nothing wrong found): it becomes `dismissed`, with one
 * "report.dismiss" row in the audit log (the optional `note`), in one transaction.
 * Throws FORBIDDEN (not an admin), REPORT_NOT_FOUND (unknown ID), REPORT_NOT_OPEN (dismissed or actioned already).
 */
export async function dismissReport(db: Db, actor: PublicUser, reportId: string, note?: string): Promise<ReportDto> {
  if (actor.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can dismiss reports");
  if (!isUuid(reportId)) throw new AppError("REPORT_NOT_FOUND", "No report with this ID");
  return db.transaction(async (tx) => {
    const [r] = await tx.select().from(campaignReports).where(eq(campaignReports.id, reportId)).for("update");
    if (!r) throw new AppError("REPORT_NOT_FOUND", "No report with this ID");
    if (r.status !== "open") throw new AppError("REPORT_NOT_OPEN", `This report is ${r.status} already`);
    const [after] = await tx
      .update(campaignReports)
      .set({ status: "dismissed", resolvedBy: actor.id, resolvedAt: new Date() })
      .where(eq(campaignReports.id, reportId))
      .returning();
    if (!after) throw new Error("report vanished inside its own transaction");
    await recordAdminAction(tx, {
      actor,
      action: "report.dismiss",
      subjectType: "report",
      subjectId: reportId,
      details: { campaignId: r.campaignId, reason: r.reason, ...(note ? { note } : {}) },
    });
    return toReportDto(after);
  });
}

/** A campaign in the admins' queue: its open reports, counted, with their reasons and the newest one. */
export interface ReportedCampaign {
  campaignId: string;
  title: string;
  status: string;
  closedForAbuse: boolean;
  openReports: number;
  reasons: ReportReason[];
  newest: { id: string; reason: ReportReason; details: string | null; createdAt: string };
  /** The open reports, newest first (at most 20), each dismissable on its own. */
  reports: { id: string; reason: ReportReason; details: string | null; createdAt: string }[];
}

/** A suspended campaign in the admins' queue (reinstate or end from there). */
export interface SuspendedCampaign {
  campaignId: string;
  title: string;
  reason: string | null;
  suspendedAt: string | null;
}

/**
 * The /admin queue (admins only; FORBIDDEN for anyone else): campaigns with open reports, most reported
 * first (then the newest report first), at most `limit` (default 50); suspended campaigns, most recently
 * suspended first; how many disputes are open (the list is /admin/disputes).
 */
export async function moderationQueue(
  db: Db,
  viewer: PublicUser,
  opts: { limit?: number } = {},
): Promise<{ reported: ReportedCampaign[]; suspended: SuspendedCampaign[]; openDisputes: number }> {
  if (viewer.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can see the moderation queue");
  const limit = opts.limit ?? 50;
  const reportedRows = await db.execute<{
    campaign_id: string;
    title: string;
    status: string;
    closed: boolean;
    open_reports: number;
    reasons: ReportReason[];
    reports: { id: string; reason: ReportReason; details: string | null; created_at: string }[];
  }>(sql`
    select r.campaign_id, c.title, c.status, c.closed_for_abuse_at is not null as closed,
           count(*)::int as open_reports,
           array_agg(distinct r.reason::text) as reasons,
           (jsonb_agg(jsonb_build_object('id', r.id, 'reason', r.reason, 'details', r.details, 'created_at', r.created_at)
              order by r.id desc))
             as reports
    from campaign_reports r join campaigns c on c.id = r.campaign_id
    where r.status = 'open'
    group by r.campaign_id, c.title, c.status, c.closed_for_abuse_at
    order by count(*) desc, max(r.created_at) desc
    limit ${limit}`);
  const reported = reportedRows.map((r): ReportedCampaign => {
    const reports = r.reports.slice(0, 20).map((x) => ({
      id: x.id,
      reason: x.reason,
      details: x.details,
      createdAt: new Date(x.created_at).toISOString(),
    }));
    return {
      campaignId: r.campaign_id,
      title: r.title,
      status: r.status,
      closedForAbuse: r.closed,
      openReports: r.open_reports,
      reasons: [...r.reasons].sort() as ReportReason[],
      newest: reports[0] as ReportedCampaign["newest"],
      reports,
    };
  });
  const suspendedRows = await db
    .select({
      id: campaigns.id,
      title: campaigns.title,
      reason: campaigns.statusReason,
      frozen: campaigns.payoutsFrozenAt,
    })
    .from(campaigns)
    .where(eq(campaigns.status, "suspended"))
    .orderBy(desc(campaigns.payoutsFrozenAt), desc(campaigns.id))
    .limit(limit);
  const [disputes] = await db.execute<{ n: number }>(sql`select count(*)::int as n from disputes where outcome is null`);
  return {
    reported,
    suspended: suspendedRows.map((s) => ({
      campaignId: s.id,
      title: s.title,
      reason: s.reason,
      suspendedAt: s.frozen?.toISOString() ?? null,
    })),
    openDisputes: disputes?.n ?? 0,
  };
}
