import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  index,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { assets } from "./assets";
import { campaigns } from "./campaigns";
import { users } from "./users";

/**
 * A creator's news about their campaign ("we reached the clinic", a picture of the new roof). Shown
 * newest first on the campaign page; posting one appends `campaign.update_posted`, from which the mail
 * consumer writes one message per subscribed donor (`campaign_subscriptions`).
 */
export const campaignUpdates = pgTable(
  "campaign_updates",
  {
    /** UUIDv7: time-ordered, so the key doubles as the "newest first" order and the page cursor. */
    id: uuid("id").primaryKey(),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    authorId: uuid("author_id")
      .notNull()
      .references(() => users.id),
    body: text("body").notNull(),
    /** An optional picture, an asset of the same campaign. */
    assetId: uuid("asset_id").references(() => assets.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("campaign_updates_campaign_idx").on(t.campaignId, t.id),
    check("campaign_updates_body_length", sql`char_length(${t.body}) between 1 and 5000`),
  ],
);

/**
 * Donors who asked for a campaign's updates by email (a box on the contribute form), one row per
 * (campaign, user). Deleting the row is the unsubscribe (the link in each update email).
 */
export const campaignSubscriptions = pgTable(
  "campaign_subscriptions",
  {
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.userId] })],
);

export const reportReason = pgEnum("report_reason", ["fraud", "misleading", "inappropriate", "spam", "other"]);
/** open → dismissed (nothing wrong) | actioned (an admin suspended or closed the campaign). */
export const reportStatus = pgEnum("report_status", ["open", "dismissed", "actioned"]);

/** A signed-in user's report that a campaign breaks the rules; admins work the open ones at /admin. */
export const campaignReports = pgTable(
  "campaign_reports",
  {
    id: uuid("id").primaryKey(),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    reporterId: uuid("reporter_id")
      .notNull()
      .references(() => users.id),
    reason: reportReason("reason").notNull(),
    details: text("details"),
    status: reportStatus("status").notNull().default("open"),
    resolvedBy: uuid("resolved_by").references(() => users.id),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One open report per reporter and campaign: a second is the same report, not a new one.
    uniqueIndex("campaign_reports_open_idx").on(t.campaignId, t.reporterId).where(sql`${t.status} = 'open'`),
    index("campaign_reports_queue_idx").on(t.id).where(sql`${t.status} = 'open'`),
    check("campaign_reports_details_length", sql`${t.details} is null or char_length(${t.details}) <= 2000`),
  ],
);

/**
 * Every admin action (suspend, reinstate, close for abuse, dismiss a report, refund as admin…), written in
 * the same transaction as the action, so the record and the change exist together or not at all.
 * Append-only for the app's role (migration 0016 revokes UPDATE and DELETE).
 */
export const adminAuditLog = pgTable(
  "admin_audit_log",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    /** The admin; null for an operator's CLI command. */
    actorId: uuid("actor_id").references(() => users.id),
    /** Dotted name of what was done, e.g. "campaign.suspend", "report.dismiss". */
    action: text("action").notNull(),
    /** What it was done to: "campaign", "report", "contribution", "dispute". */
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    /** The reason given and anything else worth keeping (JSON object). */
    details: jsonb("details").notNull().default(sql`'{}'::jsonb`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("admin_audit_log_subject_idx").on(t.subjectType, t.subjectId, t.seq)],
);
