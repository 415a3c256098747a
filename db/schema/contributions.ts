import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { campaigns } from "./campaigns";
import { users } from "./users";

export const contributionStatus = pgEnum("contribution_status", ["pending", "succeeded", "failed"]);

export const contributions = pgTable(
  "contributions",
  {
    id: uuid("id").primaryKey(),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    contributorId: uuid("contributor_id")
      .notNull()
      .references(() => users.id),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: contributionStatus("status").notNull().default("pending"),
    message: text("message"),
    anonymous: boolean("anonymous").notNull().default(false),
    paymentMethod: text("payment_method").notNull(),
    provider: text("provider").notNull(),
    /** The provider's payment (Stripe PaymentIntent) ID, set once the provider answered. */
    providerPaymentId: text("provider_payment_id").unique(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (t) => [
    index("contributions_campaign_idx").on(t.campaignId, t.id),
    index("contributions_contributor_idx").on(t.contributorId, t.id),
    check("contributions_amount_positive", sql`${t.amount} > 0`),
  ],
);

/**
 * Idempotency keys of POST /contributions (Brandur Leach's design): the first
 * request with a key inserts the row and owns it; the response is stored when done.
 * Kept at least 24 hours (`expires_at`).
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    /** Set when the contribution row exists: a retry resumes from it instead of creating another. */
    contributionId: uuid("contribution_id"),
    lockedAt: timestamp("locked_at", { withTimezone: true }),
    responseStatus: integer("response_status"),
    responseBody: jsonb("response_body"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index("idempotency_keys_expires_idx").on(t.expiresAt)],
);

/** Every provider event applied, once: the unique event ID makes redelivery a no-op. */
export const providerEvents = pgTable("provider_events", {
  eventId: text("event_id").primaryKey(),
  provider: text("provider").notNull(),
  type: text("type").notNull(),
  paymentId: text("payment_id"),
  outcome: text("outcome").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A provider event whose amount or currency disagrees with the contribution: recorded, never credited. */
export const paymentDiscrepancies = pgTable("payment_discrepancies", {
  id: uuid("id").primaryKey(),
  contributionId: uuid("contribution_id")
    .notNull()
    .references(() => contributions.id),
  eventId: text("event_id"),
  expectedAmount: bigint("expected_amount", { mode: "number" }).notNull(),
  expectedCurrency: char("expected_currency", { length: 3 }).notNull(),
  actualAmount: bigint("actual_amount", { mode: "number" }).notNull(),
  actualCurrency: text("actual_currency").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The sandbox provider's own state (what Stripe keeps on its side), so it survives restarts. */
export const sandboxPayments = pgTable("sandbox_payments", {
  id: text("id").primaryKey(),
  idempotencyKey: text("idempotency_key").notNull().unique(),
  amount: bigint("amount", { mode: "number" }).notNull(),
  currency: char("currency", { length: 3 }).notNull(),
  status: text("status").notNull(),
  paymentMethod: text("payment_method").notNull(),
  metadata: jsonb("metadata").notNull(),
  failureCode: text("failure_code"),
  failureMessage: text("failure_message"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Webhook events the sandbox still has to deliver (at least once, with retries, like Stripe). */
export const sandboxEvents = pgTable(
  "sandbox_events",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull(),
    type: text("type").notNull(),
    deliverAfter: timestamp("deliver_after", { withTimezone: true }).notNull(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("sandbox_events_due_idx").on(t.deliverAfter).where(sql`${t.deliveredAt} is null`)],
);
