"use server";

import { refresh } from "next/cache";
import { z } from "zod";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db } from "@/lib/app";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { closeCampaignForAbuse, updateCampaign } from "@/lib/campaigns";
import { closeForAbuseSchema, updateCampaignSchema } from "@/lib/campaigns/schemas";
import { AppError } from "@/lib/errors";
import { dismissReport, reportCampaign } from "@/lib/moderation/reports";
import { createReportSchema, dismissReportSchema, type ReportDto } from "@/lib/moderation/schemas";

/** What the report form shows after a submission: the report, and whether it is new or the one already open. */
export type ReportResult = ActionResult<{ report: ReportDto; created: boolean }>;

/**
 * Report a campaign from its page (what POST /api/campaigns/{id}/reports does, through the same schema and
 * `reportCampaign`). Fields: campaignId, reason, details (blank is none). A second report while the first is
 * open answers the first (`created: false`).
 */
export async function reportCampaignAction(_prev: ReportResult | undefined, form: FormData): Promise<ReportResult> {
  return runAction("reportCampaign", async () => {
    const user = await actionUser();
    const details = formText(form, "details").trim();
    const input = parseForm(createReportSchema, { reason: formText(form, "reason"), ...(details ? { details } : {}) });
    return reportCampaign(db(), user, formText(form, "campaignId"), input);
  });
}

const decisionSchema = z.enum(["suspend", "reinstate", "close"], { error: "must be suspend, reinstate or close" });

/**
 * The /admin queue's decision on a campaign (admins only: FORBIDDEN for anyone else), through the functions the
 * API uses: "suspend" (reason required) and "reinstate" as PATCH /api/campaigns/{id} with status suspended or
 * active (`updateCampaign`), "close" as POST /api/campaigns/{id}/close-for-abuse (`closeCampaignForAbuse`,
 * reason required). Each writes its admin audit log row in its own transaction. Fields: campaignId, decision,
 * reason. The queue is rendered again.
 */
export async function moderateCampaignAction(
  _prev: ActionResult<{ campaignId: string; decision: string }> | undefined,
  form: FormData,
): Promise<ActionResult<{ campaignId: string; decision: string }>> {
  return runAction("moderateCampaign", async () => {
    const user = await actionUser();
    if (user.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can moderate campaigns");
    const id = formText(form, "campaignId");
    const reason = formText(form, "reason").trim();
    const decision = parseForm(z.object({ decision: decisionSchema }), { decision: formText(form, "decision") }).decision;
    if (decision === "close") {
      await closeCampaignForAbuse(db(), user, id, parseForm(closeForAbuseSchema, { reason }));
    } else {
      const status = decision === "suspend" ? "suspended" : "active";
      await updateCampaign(db(), user, id, parseForm(updateCampaignSchema, { status, ...(reason ? { reason } : {}) }));
    }
    await invalidateCampaigns([id]);
    refresh();
    return { campaignId: id, decision };
  });
}

/**
 * Dismiss a report from the /admin queue (admins only): nothing wrong was found. Fields: reportId, note
 * (optional, kept in the audit log). Errors: FORBIDDEN, REPORT_NOT_FOUND, REPORT_NOT_OPEN.
 */
export async function dismissReportAction(
  _prev: ActionResult<ReportDto> | undefined,
  form: FormData,
): Promise<ActionResult<ReportDto>> {
  return runAction("dismissReport", async () => {
    const user = await actionUser();
    if (user.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can dismiss reports");
    const note = formText(form, "note").trim();
    const input = parseForm(dismissReportSchema, { reportId: formText(form, "reportId"), ...(note ? { note } : {}) });
    const report = await dismissReport(db(), user, input.reportId, input.note);
    refresh();
    return report;
  });
}
