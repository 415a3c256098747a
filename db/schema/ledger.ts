import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  char,
  index,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true });

export const ledgerAccountKind = pgEnum("ledger_account_kind", [
  "campaign_collected",
  "provider_clearing",
  "platform_fees",
  "creator_payable",
  /** What open disputes keep from a campaign (credit-normal, like campaign_collected). */
  "campaign_held",
  /** Money the provider withdrew for open disputes, returned if they are won (debit-normal). */
  "dispute_reserve",
]);

/** One account per (kind, owner, currency). Balances are derived from lines, never stored. */
export const ledgerAccounts = pgTable(
  "ledger_accounts",
  {
    id: uuid("id").primaryKey(),
    kind: ledgerAccountKind("kind").notNull(),
    /** Campaign ID, user ID or provider name, depending on the kind. */
    owner: text("owner").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("ledger_accounts_owner_idx").on(t.kind, t.owner, t.currency)],
);

/** A journal entry. (kind, reference) is unique: one entry per contribution, payout, … */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: uuid("id").primaryKey(),
    kind: text("kind").notNull(),
    reference: text("reference").notNull(),
    description: text("description").notNull(),
    /**
     * The payment provider whose money the entry moves ("stripe" | "sandbox"). Every entry moves some
     * provider's money, so it is never null (migration 0009 backfills older entries and sets NOT NULL). A
     * payout pays only what its own provider collected (docs/payouts.md, "Provider separation").
     */
    provider: text("provider").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ledger_entries_reference_idx").on(t.kind, t.reference),
    /** Sandbox entries only (few once a deployment takes real money): the sandbox-money warning starts here. */
    index("ledger_entries_sandbox_idx").on(t.id).where(sql`${t.provider} = 'sandbox'`),
  ],
);

/**
 * Lines of an entry: signed integer minor units, debit positive, credit negative.
 * A statement trigger (migration 0019, which replaced the row triggers of 0002, 0009
 * and 0013) makes the lines each statement adds sum to zero per entry and currency,
 * checks each line's currency against its account's and its provider against its
 * entry's; row triggers refuse UPDATE and DELETE: the ledger is append-only. Migration 0013 refuses
 * TRUNCATE of the three ledger tables, any UPDATE or DELETE of an account, and a
 * line inserted by another transaction than the one that inserted its entry (a
 * posted entry is closed: docs/security.md, "Ledger integrity").
 *
 * Partitioned by month on `entry_id` (migration 0018, docs/partitioning.md): an entry's ID is a UUIDv7,
 * so its lines sit in the partition of the month it was posted, and a lookup of an entry's lines reads one
 * partition. The primary key includes the partition key: (entry_id, id).
 */
export const ledgerLines = pgTable(
  "ledger_lines",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    entryId: uuid("entry_id")
      .notNull()
      .references(() => ledgerEntries.id),
    accountId: uuid("account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ name: "ledger_lines_pkey", columns: [t.entryId, t.id] }),
    /** Per account in line order: a balance, and the lines after a checkpoint's `upto_line` (lib/payouts/checkpoints.ts). */
    index("ledger_lines_account_line_idx").on(t.accountId, t.id),
  ],
);

/**
 * A point in the ledger's line sequence that the daily flush can add up to once and never again
 * (lib/payouts/checkpoints.ts): every line with `id <= upto_line` was written by a transaction whose ID is
 * below `xid_bound`, so once every transaction below `xid_bound` has ended (`pg_snapshot_xmin` ≥ `xid_bound`), no line at or
 * below `upto_line` can still appear. `taken_at` is later than the start of every such transaction.
 */
export const ledgerMarks = pgTable("ledger_marks", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  takenAt: timestamptz("taken_at").notNull().defaultNow(),
  uptoLine: bigint("upto_line", { mode: "number" }).notNull(),
  /** Transaction ID bound (xid8 as a decimal), see above. */
  xidBound: bigint("xid_bound", { mode: "number" }).notNull(),
  /** When a payout run had written the checkpoint of every campaign account at this mark. */
  completeAt: timestamptz("complete_at"),
});

/**
 * A campaign account's balance at a mark, per provider: the sum (minor units, debit positive) of its lines
 * with `id <= upto_line` of entries of that provider. Only non-zero balances are stored; once the mark is
 * complete, a missing row means zero. The ledger audit recomputes them from the lines.
 */
export const ledgerCheckpoints = pgTable(
  "ledger_checkpoints",
  {
    markId: bigint("mark_id", { mode: "number" })
      .notNull()
      .references(() => ledgerMarks.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    provider: text("provider").notNull(),
    balance: bigint("balance", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.markId, t.accountId, t.provider] })],
);
