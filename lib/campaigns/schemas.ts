import { z } from "zod";
import { assetSchema } from "@/lib/assets/schemas";
import { isCurrency } from "@/lib/money/currency";
import { textField } from "@/lib/text";
import { reasonProblem } from "./status";

/** Largest goal accepted: 10^12 minor units (10 billion in a 2-decimal currency), far inside 2^53. */
export const MAX_GOAL_MINOR = 1_000_000_000_000;
export const MAX_CAMPAIGN_DAYS = 5 * 366;

export const campaignStatusSchema = z.enum(["draft", "active", "ended", "suspended"]);

/** Free text is held to lib/text's hygiene (no NUL, controls or bidi controls; NFC; a visible character). */
const title = textField({ min: 3, max: 120 });
const story = textField({ min: 1, max: 20_000, multiline: true });
const goalAmount = z
  .number({ error: "must be an integer amount in minor units" })
  .int("must be an integer amount in minor units (e.g. cents)")
  .positive("must be positive")
  .max(MAX_GOAL_MINOR, `must be at most ${MAX_GOAL_MINOR}`);
const endsAt = z.iso
  .datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z" })
  .refine((v) => Date.parse(v) > Date.now(), "must be in the future")
  .refine((v) => Date.parse(v) < Date.now() + MAX_CAMPAIGN_DAYS * 86_400_000, "must be within 5 years")
  .nullable();

export const createCampaignSchema = z
  .strictObject({
    title,
    story,
    goalAmount,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code in upper case, e.g. USD")
      .refine(isCurrency, "is not a known ISO 4217 currency"),
    endsAt: endsAt.optional(),
    status: z.enum(["draft", "active"]).default("active").describe("draft keeps it private; default active"),
  })
  .meta({ id: "CreateCampaign" });

export const updateCampaignSchema = z
  .strictObject({
    title: title.optional(),
    story: story.optional(),
    goalAmount: goalAmount.optional(),
    endsAt: endsAt.optional(),
    status: campaignStatusSchema.optional(),
    reason: textField({ min: 3, max: 1000, multiline: true })
      .optional()
      .describe(
        "why, with status suspended (required; shown to the creator and admins only) or ended (optional; shown to everyone when the creator ends it)",
      ),
    currency: z.string().optional().describe("cannot change; present only to be refused with CURRENCY_IMMUTABLE"),
  })
  .refine((v) => Object.keys(v).length > 0, "send at least one field to change")
  .superRefine((v, ctx) => {
    const problem = reasonProblem(v.status, v.reason);
    if (problem) ctx.addIssue({ code: "custom", path: ["reason"], message: problem });
  })
  .meta({ id: "UpdateCampaign" });

/** POST /api/campaigns/{id}/close-for-abuse: why (kept on the campaign, and the reason of its refunds). */
export const closeForAbuseSchema = z
  .strictObject({
    reason: textField({ min: 3, max: 1000, multiline: true }),
  })
  .meta({ id: "CloseForAbuse" });

export const campaignSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    story: z.string(),
    goalAmount: z.number().int().describe("minor units"),
    currency: z.string().length(3),
    collectedAmount: z.number().int().describe("minor units, net of refunds and lost disputes; eventually consistent"),
    contributionCount: z.number().int().describe("paid contributions not fully refunded"),
    heldAmount: z
      .number()
      .int()
      .describe("minor units of collectedAmount that open disputes hold (not paid out until they close)"),
    status: campaignStatusSchema,
    closedForAbuse: z
      .boolean()
      .describe("closed by an admin for abuse: ended, never paid out, every contribution refunded (docs/payouts.md)"),
    endsAt: z.string().nullable(),
    endedAt: z.string().nullable().describe("when it was ended; null unless status is ended"),
    endedBy: z
      .enum(["creator", "admin"])
      .nullable()
      .describe("who ended it; a creator may reopen what they ended while endsAt has not passed"),
    endReason: z.string().nullable().describe("the creator's words on ending it (an admin's reasons stay private)"),
    createdAt: z.string(),
    creator: z.object({ id: z.uuid(), name: z.string() }),
    assets: z.array(assetSchema).describe("pictures and videos in display order; the first is the cover"),
  })
  .meta({ id: "Campaign" });

export const campaignPageSchema = z
  .object({ items: z.array(campaignSchema), nextCursor: z.string().nullable() })
  .meta({ id: "CampaignPage" });

const cursor = z.uuid({ message: "is not a cursor returned by this API" });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: cursor.optional(),
});

/**
 * A list page's `cursor` search parameter (the first one if repeated), checked as the API checks
 * it: a cursor this app made (a UUID), or undefined, the first page, for anything else.
 */
export function pageCursor(raw: string | string[] | undefined): string | undefined {
  return cursor.safeParse(Array.isArray(raw) ? raw[0] : raw).data;
}

export type CreateCampaignInput = z.infer<typeof createCampaignSchema>;
export type UpdateCampaignInput = z.infer<typeof updateCampaignSchema>;
export type CloseForAbuseInput = z.infer<typeof closeForAbuseSchema>;
export type CampaignDto = z.infer<typeof campaignSchema>;
export type CampaignStatus = z.infer<typeof campaignStatusSchema>;

// Campaign updates (lib/campaigns/updates.ts, docs/updates.md).

/** Most characters of an update's text (the table's check constraint `campaign_updates_body_length`). */
export const UPDATE_BODY_MAX = 5000;

export const postUpdateSchema = z
  .strictObject({
    body: textField({ min: 1, max: UPDATE_BODY_MAX, multiline: true }).describe("the update's text, 1–5000 characters"),
    assetId: z
      .uuid({ message: "must be the ID of one of the campaign's pictures" })
      .optional()
      .describe("a picture (image asset) of the same campaign, shown with the update"),
  })
  .meta({ id: "PostCampaignUpdate" });

export const campaignUpdateSchema = z
  .object({
    id: z.uuid().describe("UUIDv7: newer updates have greater IDs"),
    campaignId: z.uuid(),
    author: z.object({ id: z.uuid(), name: z.string() }),
    body: z.string(),
    picture: z
      .object({
        assetId: z.uuid(),
        url: z.string().describe("GET it; takes ?variant=thumb|card|hero like any picture"),
        width: z.number().int().nullable(),
        height: z.number().int().nullable(),
      })
      .nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "CampaignUpdate" });

export const campaignUpdatePageSchema = z
  .object({ items: z.array(campaignUpdateSchema), nextCursor: z.string().nullable() })
  .meta({ id: "CampaignUpdatePage" });

export type PostUpdateInput = z.infer<typeof postUpdateSchema>;
export type CampaignUpdateDto = z.infer<typeof campaignUpdateSchema>;
export type CampaignUpdatePage = z.infer<typeof campaignUpdatePageSchema>;
