import { sql } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * pending → sent (the SMTP server accepted it) | kept (no SMTP configured: shown in the admins' mailbox
 * instead) | failed (refused for good, or out of attempts).
 */
export const mailStatus = pgEnum("mail_status", ["pending", "sent", "kept", "failed"]);

/**
 * The mail queue. A message is inserted in the same transaction as what it tells about (or by an event
 * consumer, exactly once per event), so none is lost; a sender takes due rows with `SKIP LOCKED`, sends
 * them with nodemailer and marks them. `dedupeKey` makes a second insert of the same message a no-op.
 */
export const mailMessages = pgTable(
  "mail_messages",
  {
    /** UUIDv7; also the Message-ID's local part, so a receiver can drop a copy sent twice. */
    id: uuid("id").primaryKey(),
    /** What it is about, unique: e.g. "receipt:<contribution ID>", "update:<update ID>:<user ID>". */
    dedupeKey: text("dedupe_key").notNull().unique(),
    /** receipt, donation_received, donation_digest, payout_paid, refund_issued, campaign_update. */
    kind: text("kind").notNull(),
    toUserId: uuid("to_user_id").references(() => users.id),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body"),
    /** For messages that are not transactional: the one-click unsubscribe address (RFC 8058). */
    unsubscribeUrl: text("unsubscribe_url"),
    status: mailStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("mail_messages_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index("mail_messages_user_idx").on(t.toUserId, t.id),
  ],
);
