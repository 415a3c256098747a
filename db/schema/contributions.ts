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

/**
 * pending → succeeded | failed; a succeeded contribution becomes partially_refunded, then refunded, as
 * refunds take its money back (a failed refund moves it back). All three count as paid.
 */
export const contributionStatus = pgEnum("contribution_status", [
  "pending",
  "succeeded",
  "failed",
  "partially_refunded",
  "refunded",
]);

/**
 * Partitioned by month on `id` (migration 0018, docs/partitioning.md): a UUIDv7's first 48 bits are its
 * creation time in ms, so a range of IDs is a range of time and `id` stays the primary key that refunds,
 * disputes and discrepancies reference. Rows with other IDs (v4, from before the app made v7 ones) sit in
 * `contributions_default` unless their random first bits fall in a month's range. A unique index must
 * hold the partition key, so the unique payment ID and receipt number are kept unique by the tables
 * `contribution_payment_ids` and `contribution_receipt_numbers` (filled by a trigger).
 */
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
    /** Who tried it, for the card-testing counters of a decline that arrives later (lib/payments/card-testing.ts). */
    clientIp: text("client_ip"),
    /** The provider's card fingerprint of `paymentMethod`, when it told (lib/payments/card-testing.ts). */
    cardFingerprint: text("card_fingerprint"),
    /** The provider's payment (Stripe PaymentIntent) ID, set once the provider answered. */
    providerPaymentId: text("provider_payment_id"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    /** Platform fee taken when it succeeded (minor units), so a refund gives back its share of that fee. */
    feeAmount: bigint("fee_amount", { mode: "number" }),
    /** What refunds took back so far (pending and succeeded refunds, minor units); never above `amount`. */
    refundedAmount: bigint("refunded_amount", { mode: "number" }).notNull().default(0),
    /**
     * The receipt's number, from the `contribution_receipt_seq` sequence, given when the contribution
     * succeeds (in the statement that marks it): increasing with time, never reused.
     */
    receiptNumber: bigint("receipt_number", { mode: "number" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (t) => [
    index("contributions_campaign_idx").on(t.campaignId, t.id),
    index("contributions_contributor_idx").on(t.contributorId, t.id),
    /** Reconciliation's work list (lib/payments/reconcile.ts) and /api/health's oldest pending payment. */
    index("contributions_pending_idx").on(t.createdAt).where(sql`${t.status} = 'pending'`),
    /** Webhooks find their contribution by the payment's ID (one probe per partition; unique: contributionPaymentIds). */
    index("contributions_provider_payment_idx").on(t.providerPaymentId),
    check("contributions_amount_positive", sql`${t.amount} > 0`),
    check("contributions_refunded_range", sql`${t.refundedAmount} >= 0 and ${t.refundedAmount} <= ${t.amount}`),
  ],
);

/**
 * The global uniqueness of `contributions.provider_payment_id`, which a partitioned table cannot hold in
 * an index (its unique indexes must include `id`, the partition key). A trigger on `contributions`
 * (migration 0018) inserts a row per payment ID set and deletes it when the ID changes, so a second
 * contribution with the same payment ID fails with unique_violation on this primary key, under the
 * constraint name the column's unique constraint had.
 */
export const contributionPaymentIds = pgTable("contribution_payment_ids", {
  providerPaymentId: text("provider_payment_id").primaryKey(),
  contributionId: uuid("contribution_id").notNull(),
});

/** Same for `contributions.receipt_number` (given once from `contribution_receipt_seq`, never reused). */
export const contributionReceiptNumbers = pgTable("contribution_receipt_numbers", {
  receiptNumber: bigint("receipt_number", { mode: "number" }).primaryKey(),
  contributionId: uuid("contribution_id").notNull(),
});

export const refundStatus = pgEnum("refund_status", ["pending", "succeeded", "failed"]);

/**
 * Money given back to a donor (Stripe: a Refund on the PaymentIntent). Asked for through the API (by the
 * campaign's creator or an admin), by the close-for-abuse job, or made at the provider (its dashboard:
 * only a webhook tells us, `requestedBy` is null). The row exists before the provider is called; its ID
 * is the provider call's idempotency key. Its ledger entry is posted with the row, so money on its way
 * back is never paid out; a failed refund posts the reversal (lib/payments/refunds.ts).
 */
export const refunds = pgTable(
  "refunds",
  {
    id: uuid("id").primaryKey(),
    contributionId: uuid("contribution_id")
      .notNull()
      .references(() => contributions.id),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    /** The share of the contribution's platform fee this refund gives back (minor units). */
    feeAmount: bigint("fee_amount", { mode: "number" }).notNull().default(0),
    status: refundStatus("status").notNull().default("pending"),
    reason: text("reason"),
    provider: text("provider").notNull(),
    /** The provider's refund ID (re_…) once it answered. */
    providerRefundId: text("provider_refund_id").unique(),
    requestedBy: uuid("requested_by").references(() => users.id),
    /** `scope:key`: the requesting user's ID and their Idempotency-Key, or the bulk job's own key. */
    idempotencyKey: text("idempotency_key").unique(),
    /** What the first request with this key asked (amount, reason), to refuse the key's reuse for another. */
    requestHash: text("request_hash"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (t) => [
    index("refunds_contribution_idx").on(t.contributionId),
    index("refunds_campaign_idx").on(t.campaignId, t.id),
    index("refunds_pending_idx").on(t.createdAt).where(sql`${t.status} = 'pending'`),
    check("refunds_amount_positive", sql`${t.amount} > 0`),
  ],
);

/**
 * A cardholder's dispute (chargeback) of a contribution, as the provider reports it (Stripe: a Dispute,
 * dp_…). While open, its amount is held: the campaign cannot be paid it. Won releases it; lost takes it
 * for good (lib/payments/disputes.ts). `status` is Stripe's dispute status.
 */
export const disputes = pgTable(
  "disputes",
  {
    id: text("id").primaryKey(),
    provider: text("provider").notNull(),
    contributionId: uuid("contribution_id")
      .notNull()
      .references(() => contributions.id),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: text("status").notNull(),
    reason: text("reason"),
    /** The provider's dispute fee (minor units), carried by the platform. */
    fee: bigint("fee", { mode: "number" }).notNull().default(0),
    fundsWithdrawnAt: timestamp("funds_withdrawn_at", { withTimezone: true }),
    fundsReinstatedAt: timestamp("funds_reinstated_at", { withTimezone: true }),
    /** won or lost once closed; null while open. */
    outcome: text("outcome"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [
    index("disputes_contribution_idx").on(t.contributionId),
    index("disputes_open_idx").on(t.createdAt).where(sql`${t.outcome} is null`),
    check("disputes_amount_positive", sql`${t.amount} > 0`),
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
  /** Stripe's client_secret of the PaymentIntent: what the payer's browser completes authentication with. */
  clientSecret: text("client_secret"),
  /** Stripe's return_url: where the payer goes back after the sandbox's authentication page. */
  returnUrl: text("return_url"),
  /** When a `processing` payment succeeds on the sandbox's side, whether or not its webhook gets through. */
  settlesAt: timestamp("settles_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The sandbox's refunds (Stripe's Refund objects): made through its API or "in its dashboard" (the CLI). */
export const sandboxRefunds = pgTable("sandbox_refunds", {
  id: text("id").primaryKey(),
  paymentId: text("payment_id").notNull(),
  idempotencyKey: text("idempotency_key").unique(),
  amount: bigint("amount", { mode: "number" }).notNull(),
  currency: char("currency", { length: 3 }).notNull(),
  status: text("status").notNull(),
  reason: text("reason"),
  metadata: jsonb("metadata").notNull(),
  failureReason: text("failure_reason"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The sandbox's disputes (Stripe's Dispute objects), opened by its dispute test card. */
export const sandboxDisputes = pgTable("sandbox_disputes", {
  id: text("id").primaryKey(),
  paymentId: text("payment_id").notNull(),
  amount: bigint("amount", { mode: "number" }).notNull(),
  currency: char("currency", { length: 3 }).notNull(),
  status: text("status").notNull(),
  reason: text("reason").notNull(),
  fee: bigint("fee", { mode: "number" }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Webhook events the sandbox still has to deliver (at least once, with retries, like Stripe). */
export const sandboxEvents = pgTable(
  "sandbox_events",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull(),
    type: text("type").notNull(),
    /** The event's data.object as it was when the event happened (refunds, disputes); null: the PaymentIntent now. */
    object: jsonb("object"),
    deliverAfter: timestamp("deliver_after", { withTimezone: true }).notNull(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("sandbox_events_due_idx").on(t.deliverAfter).where(sql`${t.deliveredAt} is null`)],
);
