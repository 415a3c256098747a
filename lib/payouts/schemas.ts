import { z } from "zod";

export const payoutSchema = z
  .object({
    id: z.uuid(),
    campaignId: z.uuid(),
    campaignTitle: z.string(),
    payoutDate: z.iso.date(),
    amount: z.number().int().positive().meta({ description: "Minor units" }),
    currency: z.string().length(3),
    status: z.enum(["pending", "submitted", "paid", "failed"]),
    failureCode: z.string().nullable(),
    createdAt: z.iso.datetime(),
    paidAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Payout" });

export const payoutPageSchema = z
  .object({ items: z.array(payoutSchema), nextCursor: z.uuid().nullable() })
  .meta({ id: "PayoutPage" });

export const payoutListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.uuid({ message: "is not a cursor returned by this API" }).optional(),
  campaignId: z.uuid().optional(),
});

export const payoutAccountSchema = z
  .object({
    provider: z.string(),
    accountId: z.string(),
    payoutsEnabled: z.boolean(),
    detailsSubmitted: z.boolean(),
    disabledReason: z.string().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "PayoutAccount" });

export const cronQuerySchema = z.object({
  date: z.iso.date({ message: "must be a date YYYY-MM-DD" }).optional(),
});
