import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { campaigns } from "./campaigns";
import { users } from "./users";

/**
 * Where a creator's money goes: a Stripe Connect account (acct_…) or the
 * sandbox's simulated one. One per user and provider; `payoutsEnabled` is the
 * provider's word, refreshed from it (Stripe: account.payouts_enabled).
 */
export const payoutAccounts = pgTable(
  "payout_accounts",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    provider: text("provider").notNull(),
    accountId: text("account_id").notNull(),
    payoutsEnabled: boolean("payouts_enabled").notNull().default(false),
    detailsSubmitted: boolean("details_submitted").notNull().default(false),
    /** The provider's reason when payouts are not enabled (Stripe: requirements.disabled_reason). */
    disabledReason: text("disabled_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.provider] }),
    uniqueIndex("payout_accounts_account_idx").on(t.provider, t.accountId),
  ],
);

export const payoutStatus = pgEnum("payout_status", ["pending", "submitted", "paid", "failed"]);

/**
 * One payout per campaign and day (invariant 5, docs/architecture.md): the unique index is what
 * makes a re-run, or two runners, unable to pay a day twice. The row's ID is
 * the provider's idempotency key, so it exists before any transfer is attempted.
 */
export const payouts = pgTable(
  "payouts",
  {
    id: uuid("id").primaryKey(),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    creatorId: uuid("creator_id")
      .notNull()
      .references(() => users.id),
    payoutDate: date("payout_date", { mode: "string" }).notNull(),
    /**
     * The run's cut-off less PAYOUT_HOLD_HOURS: contributions settled before it were payable. Kept so
     * that the ledger audit can check no payout exceeded what was available (null: made before it existed).
     */
    availableBefore: timestamp("available_before", { withTimezone: true }),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: payoutStatus("status").notNull().default("pending"),
    provider: text("provider").notNull(),
    /** The payout account the money is sent to, fixed when the row is made. */
    destination: text("destination").notNull(),
    /** The provider's transfer ID once it answered (tr_…). */
    transferId: text("transfer_id"),
    /** Transfer calls made so far; > 0 means an answer may have been lost, so look it up before calling again. */
    attempts: integer("attempts").notNull().default(0),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp("submitted_at", { withTimezone: true }),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    failedAt: timestamp("failed_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("payouts_campaign_day_idx").on(t.campaignId, t.payoutDate),
    index("payouts_creator_idx").on(t.creatorId, t.id),
    index("payouts_open_idx").on(t.id).where(sql`${t.status} in ('pending', 'submitted')`),
    check("payouts_amount_positive", sql`${t.amount} > 0`),
  ],
);

/**
 * The sandbox provider's own state for simulated Connect accounts and transfers
 * (like sandbox_payments for charges): kept in PostgreSQL so a transfer whose
 * answer was lost can be looked up after a crash, as with Stripe.
 * `behavior` is the simulated account's test setting: succeed, fail (the
 * transfer is refused), timeout (no answer, nothing created), lose_answer
 * (created, but the answer is lost), pending (paid a few seconds later).
 */
export const sandboxAccounts = pgTable("sandbox_accounts", {
  id: text("id").primaryKey(),
  payoutsEnabled: boolean("payouts_enabled").notNull().default(true),
  behavior: text("behavior").notNull().default("succeed"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const sandboxTransfers = pgTable(
  "sandbox_transfers",
  {
    id: text("id").primaryKey(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    transferGroup: text("transfer_group").notNull(),
    destination: text("destination").notNull(),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: text("status").notNull(),
    failureCode: text("failure_code"),
    availableAt: timestamp("available_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("sandbox_transfers_group_idx").on(t.transferGroup)],
);

/** Each day's run: when it started and finished, and its summary (the scheduler catches up on a day with no finished run). */
export const payoutRuns = pgTable("payout_runs", {
  payoutDate: date("payout_date", { mode: "string" }).primaryKey(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
  runs: integer("runs").notNull().default(1),
  summary: jsonb("summary"),
});
