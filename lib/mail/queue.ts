import { desc, eq, lt } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { mailMessages } from "@/db/schema";
import type { Config } from "@/lib/config";
import type { MailKind } from "./templates";

/** A message to queue: who it goes to and what it says (lib/mail/templates.ts renders the parts). */
export interface MailInput {
  /**
   * What the message is about, unique across all messages (e.g. `receipt:<contribution ID>`): a second
   * enqueue with the same key does nothing, so an event applied twice (NATS redelivery) writes one message.
   */
  dedupeKey: string;
  kind: MailKind;
  toUserId: string | null;
  toAddress: string;
  subject: string;
  text: string;
  html?: string | null;
  /** The one-click unsubscribe address (RFC 8058) of a message that is not transactional; null otherwise. */
  unsubscribeUrl?: string | null;
}

/**
 * Queue a message inside `tx`, the transaction of what it tells about, so it exists if and only if that
 * committed (`insert … on conflict (dedupe_key) do nothing`; ID UUIDv7, also the Message-ID's local part).
 * Returns the new row's ID, or null when a message with this dedupe key exists already. The sender
 * (lib/mail/sender.ts) delivers it after the commit.
 */
export async function enqueueMail(tx: Db, m: MailInput): Promise<string | null> {
  const id = uuidv7();
  const rows = await tx
    .insert(mailMessages)
    .values({
      id,
      dedupeKey: m.dedupeKey,
      kind: m.kind,
      toUserId: m.toUserId,
      toAddress: m.toAddress,
      subject: m.subject,
      textBody: m.text,
      htmlBody: m.html ?? null,
      unsubscribeUrl: m.unsubscribeUrl ?? null,
    })
    .onConflictDoNothing({ target: mailMessages.dedupeKey })
    .returning({ id: mailMessages.id });
  return rows[0]?.id ?? null;
}

/**
 * The absolute URL of `path` in mail: on NEXTAUTH_URL (the public origin) when configured, else on this
 * server's own address (`http://localhost:PORT`), which is right for the embedded default on loopback.
 */
export function mailUrl(c: Pick<Config, "NEXTAUTH_URL" | "PORT">, path: string): string {
  return new URL(path, c.NEXTAUTH_URL ?? `http://localhost:${c.PORT}`).toString();
}

/** The confirm page of an unsubscribe token (the link in a message's body): GET shows a button, nothing changes. */
export function unsubscribePageUrl(c: Pick<Config, "NEXTAUTH_URL" | "PORT">, token: string): string {
  return `${mailUrl(c, "/unsubscribe")}?token=${token}`;
}

/** The one-click address of an unsubscribe token (the `List-Unsubscribe` header, RFC 8058): a POST there stops it. */
export function oneClickUrl(c: Pick<Config, "NEXTAUTH_URL" | "PORT">, token: string): string {
  return `${mailUrl(c, "/api/unsubscribe")}?token=${token}`;
}

/** One row of the admins' mailbox (/admin/mail). */
export interface MailboxItem {
  id: string;
  kind: string;
  status: "pending" | "sent" | "kept" | "failed";
  toAddress: string;
  subject: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * A page of the mail queue for the admins' mailbox, newest first (UUIDv7 order); `before`: the last ID of the
 * previous page. Answers `limit` rows at most and the cursor of the next page (undefined at the end).
 * The caller checks that the reader is an admin.
 */
export async function listMail(
  db: Db,
  opts: { limit: number; before?: string },
): Promise<{ items: MailboxItem[]; next?: string }> {
  const rows = await db
    .select({
      id: mailMessages.id,
      kind: mailMessages.kind,
      status: mailMessages.status,
      toAddress: mailMessages.toAddress,
      subject: mailMessages.subject,
      attempts: mailMessages.attempts,
      lastError: mailMessages.lastError,
      createdAt: mailMessages.createdAt,
      sentAt: mailMessages.sentAt,
    })
    .from(mailMessages)
    .where(opts.before ? lt(mailMessages.id, opts.before) : undefined)
    .orderBy(desc(mailMessages.id))
    .limit(opts.limit + 1);
  const items = rows.slice(0, opts.limit);
  return { items, next: rows.length > opts.limit ? items.at(-1)?.id : undefined };
}

/** One message with its parts, for the admins' mailbox; undefined when there is none with this ID. */
export async function getMail(db: Db, id: string) {
  const [row] = await db.select().from(mailMessages).where(eq(mailMessages.id, id));
  return row;
}
