import { z } from "zod";
import { textField } from "@/lib/text";

/** Why a campaign is reported (db/schema/community.ts `report_reason`). */
export const reportReasonSchema = z.enum(["fraud", "misleading", "inappropriate", "spam", "other"]);
/** open → dismissed (nothing wrong) | actioned (an admin suspended or closed the campaign). */
export const reportStatusSchema = z.enum(["open", "dismissed", "actioned"]);

/** POST /api/campaigns/{id}/reports: a reason and, optionally, what the reporter saw (≤ 2,000 characters). */
export const createReportSchema = z
  .strictObject({
    reason: reportReasonSchema,
    details: textField({ min: 1, max: 2000, multiline: true }).optional().describe("what the reporter saw (optional)"),
  })
  .meta({ id: "CreateReport" });

export const reportSchema = z
  .object({
    id: z.uuid(),
    campaignId: z.uuid(),
    reason: reportReasonSchema,
    details: z.string().nullable(),
    status: reportStatusSchema,
    createdAt: z.string(),
  })
  .meta({ id: "Report" });

/** The admin's "dismiss" of a report (server action on /admin): an optional note kept in the audit log. */
export const dismissReportSchema = z.strictObject({
  reportId: z.uuid({ message: "is not a report ID" }),
  note: textField({ min: 3, max: 1000, multiline: true }).optional(),
});

export const auditEntrySchema = z
  .object({
    seq: z.number().int().describe("the entry's place in the log (ascending); the page cursor"),
    actor: z.object({ id: z.uuid(), name: z.string() }).nullable().describe("the admin; null for an operator's CLI command"),
    action: z.string().describe('dotted name, e.g. "campaign.suspend", "report.dismiss", "contribution.refund"'),
    subjectType: z.enum(["campaign", "report", "contribution"]),
    subjectId: z.string(),
    details: z.record(z.string(), z.unknown()).describe("the reason given and what else was worth keeping"),
    createdAt: z.string(),
  })
  .meta({ id: "AuditEntry" });

export const auditPageSchema = z
  .object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() })
  .meta({ id: "AuditPage" });

/** GET /api/admin/audit's query: a page (limit, cursor = the previous page's nextCursor) and an optional subject. */
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, "is not a cursor returned by this API")
    .optional(),
  subjectType: z.enum(["campaign", "report", "contribution"]).optional(),
  subjectId: z
    .string()
    .min(1)
    .max(100)
    // PostgreSQL text holds no NUL; other controls are never in an ID either
    .refine((v) => !/\p{Cc}/u.test(v), "must not contain control characters")
    .optional(),
});

export type ReportReason = z.infer<typeof reportReasonSchema>;
export type CreateReportInput = z.infer<typeof createReportSchema>;
export type ReportDto = z.infer<typeof reportSchema>;
export type AuditEntryDto = z.infer<typeof auditEntrySchema>;
export type AuditQuery = z.infer<typeof auditQuerySchema>;
