import { sql } from "drizzle-orm";
import { bigint, char, check, index, integer, pgEnum, pgTable, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

export const campaignStatus = pgEnum("campaign_status", ["draft", "active", "ended", "suspended"]);
/** Who ended a campaign: its creator, or an admin (ending a suspended campaign, or closing it for abuse). */
export const campaignEndedBy = pgEnum("campaign_ended_by", ["creator", "admin"]);

export const campaigns = pgTable(
  "campaigns",
  {
    /** UUIDv7: time-ordered, so the primary key doubles as the pagination key. */
    id: uuid("id").primaryKey(),
    creatorId: uuid("creator_id")
      .notNull()
      .references(() => users.id),
    title: text("title").notNull(),
    story: text("story").notNull(),
    /** Money is integer minor units plus an ISO 4217 code (invariant 1, docs/architecture.md). */
    goalAmount: bigint("goal_amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    /** Maintained by the event consumers (eventually consistent with the ledger). */
    collectedAmount: bigint("collected_amount", { mode: "number" }).notNull().default(0),
    contributionCount: integer("contribution_count").notNull().default(0),
    /** What open disputes hold of the collected amount (minor units); kept by the event consumers. */
    heldAmount: bigint("held_amount", { mode: "number" }).notNull().default(0),
    /**
     * Set when an admin suspends the campaign: its money stays unpaid until an admin reinstates it,
     * even if the campaign is ended meanwhile (docs/payouts.md).
     */
    payoutsFrozenAt: timestamp("payouts_frozen_at", { withTimezone: true }),
    /**
     * Set when an admin (or an operator's CLI) closes the campaign for abuse: it is ended, its payouts
     * frozen for good, and every contribution still paid is refunded in full by the close-for-abuse job
     * (lib/campaigns/abuse.ts, docs/payouts.md). Never cleared.
     */
    closedForAbuseAt: timestamp("closed_for_abuse_at", { withTimezone: true }),
    /** Why it was closed for abuse (the admin's words; also the refunds' reason). */
    closedForAbuseReason: text("closed_for_abuse_reason"),
    status: campaignStatus("status").notNull().default("draft"),
    /**
     * Why the campaign is in its current status, when someone said so: the admin's reason for a suspension
     * (required), the reason given for ending it (optional). Cleared by a reinstatement or a reopening.
     */
    statusReason: text("status_reason"),
    /** When the campaign was ended, and by whom; cleared when its creator reopens it (lib/campaigns/status.ts). */
    endedAt: timestamp("ended_at", { withTimezone: true }),
    endedBy: campaignEndedBy("ended_by"),
    endsAt: timestamp("ends_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * Tenths of the goal collected, 0–10, for the home page's "nearly funded" listing. Stored and indexed
     * instead of an index on the ratio itself: a new total changes this only when it crosses a tenth, so
     * the consumers' frequent total updates stay HOT (no index write) on a viral campaign.
     */
    fundedDecile: smallint("funded_decile").notNull().generatedAlwaysAs(sql`least(collected_amount * 10 / goal_amount, 10)`),
  },
  (t) => [
    index("campaigns_creator_idx").on(t.creatorId, t.id),
    // The home page's listings (lib/campaigns/listing.ts): newest active, and active by tenths funded.
    index("campaigns_active_idx").on(t.id).where(sql`${t.status} = 'active'`),
    index("campaigns_funded_idx").on(t.fundedDecile, t.id).where(sql`${t.status} = 'active'`),
    // The scheduler's pass over campaigns closed for abuse reads this (empty nearly always: cheap).
    index("campaigns_closed_for_abuse_idx").on(t.id).where(sql`${t.closedForAbuseAt} is not null`),
    check("campaigns_goal_positive", sql`${t.goalAmount} > 0`),
    check("campaigns_collected_nonnegative", sql`${t.collectedAmount} >= 0`),
    check("campaigns_currency_upper", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);
