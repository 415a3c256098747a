import { z } from "zod";
import { AppError } from "@/lib/errors";
import { textField } from "@/lib/text";

export const contributeSchema = z
  .strictObject({
    amount: z
      .number({ error: "must be an integer amount in minor units" })
      .int("must be an integer amount in minor units (e.g. cents)")
      .positive("must be positive"),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code in upper case, e.g. USD"),
    paymentMethod: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9_]+$/, "must be a payment method ID such as pm_card_visa")
      .default("pm_card_visa")
      .describe("Stripe PaymentMethod ID; the sandbox accepts Stripe's test IDs"),
    message: textField({ max: 500, multiline: true }).optional(),
    anonymous: z.boolean().default(false),
    subscribeToUpdates: z
      .boolean()
      .default(false)
      .describe(
        "email me this campaign's updates (the creator's news): subscribes the contributor to the campaign, whatever the payment's outcome; not part of the Idempotency-Key's body comparison",
      ),
  })
  .meta({ id: "Contribute" });

export const contributionSchema = z
  .object({
    id: z.uuid(),
    campaignId: z.uuid(),
    amount: z.number().int(),
    currency: z.string().length(3),
    status: z
      .enum(["pending", "requires_action", "succeeded", "failed", "partially_refunded", "refunded"])
      .describe(
        "pending → succeeded | failed; requires_action: the payer must authenticate (3-D Secure) with clientSecret or nextAction, then it settles; refunds move a succeeded one to partially_refunded, then refunded",
      ),
    refundedAmount: z.number().int().describe("minor units given back so far (pending and succeeded refunds)"),
    createdAt: z.string(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    clientSecret: z
      .string()
      .optional()
      .describe("requires_action only: the PaymentIntent's client secret, for Stripe.js's handleNextAction (the payer's alone)"),
    nextAction: z
      .object({
        type: z.enum(["redirect_to_url", "use_stripe_sdk"]),
        redirectToUrl: z.string().optional().describe("redirect_to_url: open it; the payer comes back to the campaign"),
      })
      .optional()
      .describe("requires_action only: what the payer must do (API clients: open redirectToUrl)"),
  })
  .meta({ id: "Contribution" });

export const publicContributionSchema = z
  .object({
    id: z.uuid(),
    name: z.string().describe('the contributor\'s name, or "Anonymous"'),
    amount: z.number().int(),
    currency: z.string().length(3),
    message: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "PublicContribution" });

export const publicContributionPageSchema = z
  .object({ items: z.array(publicContributionSchema), nextCursor: z.string().nullable() })
  .meta({ id: "PublicContributionPage" });

/** Idempotency-Key header: 1–255 visible ASCII characters. */
export const idempotencyKeySchema = z
  .string({ error: "the Idempotency-Key header is required" })
  .min(1, "the Idempotency-Key header is required")
  .max(255, "must be at most 255 characters")
  .regex(/^[\x21-\x7E]+$/, "must be visible ASCII characters");

/** An Idempotency-Key as sent (undefined when absent), or IDEMPOTENCY_KEY_MISSING naming what is wrong with it. */
export function parseIdempotencyKey(raw: string | undefined): string {
  const key = idempotencyKeySchema.safeParse(raw);
  if (key.success) return key.data;
  throw new AppError("IDEMPOTENCY_KEY_MISSING", "Send an Idempotency-Key header (1–255 characters)", [
    { field: "Idempotency-Key", message: key.error.issues[0]?.message ?? "invalid" },
  ]);
}

export const createRefundSchema = z
  .strictObject({
    amount: z
      .number({ error: "must be an integer amount in minor units" })
      .int("must be an integer amount in minor units (e.g. cents)")
      .positive("must be positive")
      .optional()
      .describe("minor units; default: what remains unrefunded"),
    reason: textField({ max: 500, multiline: true }).optional(),
  })
  .meta({ id: "CreateRefund" });

export const refundSchema = z
  .object({
    id: z.uuid(),
    contributionId: z.uuid(),
    campaignId: z.uuid(),
    amount: z.number().int().describe("minor units"),
    currency: z.string().length(3),
    status: z.enum(["pending", "succeeded", "failed"]),
    reason: z.string().nullable(),
    createdAt: z.string(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: "Refund" });

export const disputeSchema = z
  .object({
    id: z.string().describe("the provider's dispute ID (dp_…)"),
    contributionId: z.uuid(),
    campaignId: z.uuid(),
    amount: z.number().int().describe("minor units held while open"),
    currency: z.string().length(3),
    status: z.string().describe("the provider's dispute status (Stripe's: needs_response, under_review, won, lost, …)"),
    reason: z.string().nullable(),
    fee: z.number().int().describe("the provider's dispute fee, minor units, carried by the platform"),
    outcome: z.enum(["won", "lost"]).nullable(),
    createdAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .meta({ id: "Dispute" });

export type CreateRefundInput = z.infer<typeof createRefundSchema>;
export type RefundDto = z.infer<typeof refundSchema>;
export type DisputeDto = z.infer<typeof disputeSchema>;
export type ContributeInput = z.infer<typeof contributeSchema>;
export type ContributionDto = z.infer<typeof contributionSchema>;
export type PublicContribution = z.infer<typeof publicContributionSchema>;
