import { z } from "zod";

/**
 * Every event the outbox carries, with its payload schema: the one place writers and consumers agree
 * on. `appendEvent` checks a payload against it before inserting (a writer bug fails its own
 * transaction instead of parking events later); consumers parse with it at run time, because a stored
 * event may have been written by older code. Payload fields only ever get added, optional, so that
 * older events still parse.
 */
const uuid = z.uuid();
const currency = z.string().regex(/^[A-Z]{3}$/);

export const EVENTS = {
  "campaign.created": z.object({ campaignId: uuid, creatorId: uuid, status: z.string() }),
  "campaign.updated": z.object({
    campaignId: uuid,
    /** Names of what changed: fields of the campaign, or "assets". */
    changed: z.array(z.string()),
    status: z.string().optional(),
    assetId: uuid.optional(),
  }),
  "contribution.succeeded": z.object({
    contributionId: uuid,
    campaignId: uuid,
    creatorId: uuid.optional(), // absent in events written before the event stream existed
    /** Minor units of `currency`. */
    amount: z.number().int().positive(),
    currency,
    /** The platform fee taken from it, minor units; absent in events written before fees existed. */
    fee: z.number().int().nonnegative().optional(),
  }),
  "contribution.failed": z.object({
    contributionId: uuid,
    campaignId: uuid,
    amount: z.number().int().positive(),
    currency,
    /** The provider's decline code, e.g. "card_declined". */
    code: z.string().nullish(),
  }),
  /** A refund took money back from a contribution (asked for; a later failure sends refund.failed). */
  "contribution.refunded": z.object({
    contributionId: uuid,
    campaignId: uuid,
    refundId: uuid,
    /** Minor units of `currency` taken back. */
    amount: z.number().int().positive(),
    currency,
    /** -1 when this refund made the contribution fully refunded (it no longer counts), else 0. */
    countChange: z.number().int().min(-1).max(0),
  }),
  /** A refund failed at the provider: its money is the campaign's again. */
  "refund.failed": z.object({
    contributionId: uuid,
    campaignId: uuid,
    refundId: uuid,
    amount: z.number().int().positive(),
    currency,
    /** +1 when the contribution counts again (it was fully refunded), else 0. */
    countChange: z.number().int().min(0).max(1),
  }),
  /** A cardholder disputed a contribution: `amount` is held until the dispute closes. */
  "dispute.opened": z.object({
    disputeId: z.string(),
    contributionId: uuid,
    campaignId: uuid,
    amount: z.number().int().positive(),
    currency,
  }),
  /** A dispute closed: won releases the held amount; lost takes it out of the collected total for good. */
  "dispute.closed": z.object({
    disputeId: z.string(),
    contributionId: uuid,
    campaignId: uuid,
    amount: z.number().int().positive(),
    currency,
    outcome: z.enum(["won", "lost"]),
  }),
  /** A creator posted an update on their campaign (lib/campaigns/updates.ts); subscribed donors are mailed. */
  "campaign.update_posted": z.object({ campaignId: uuid, updateId: uuid, authorId: uuid }),
  /** A payout reached its creator's account (the provider confirmed the transfer). */
  "payout.paid": z.object({
    payoutId: uuid,
    campaignId: uuid,
    creatorId: uuid,
    /** Minor units of `currency`. */
    amount: z.number().int().positive(),
    currency,
  }),
} as const;

export type EventType = keyof typeof EVENTS;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENTS)[T]>;
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];
