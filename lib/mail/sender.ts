import { sql } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import type { Config } from "@/lib/config";
import { isDatabaseUnavailable } from "@/lib/errors";

/**
 * The mail sender (docs/mail.md): delivers the queued messages (`mail_messages`, lib/mail/queue.ts) over SMTP
 * with nodemailer. Each round claims up to `batch` due `pending` rows in a short transaction
 * (`FOR UPDATE SKIP LOCKED`, so any number of senders share the queue without taking a row twice), pushing
 * their `next_attempt_at` a lease ahead and counting the attempt; sends each outside any transaction (a slow
 * SMTP server must not hold a transaction open, which would stall the event consumers, docs/events.md); then
 * marks it `sent`, or due again after a back-off on a temporary error (4xx reply, connection refused or lost,
 * timeout), or `failed` on a permanent refusal (5xx) or after MAIL_MAX_ATTEMPTS. A sender killed between
 * the SMTP server's acceptance and the mark sends that message again once its lease ends: the Message-ID
 * (`<row ID@MAIL_FROM's domain>`) is the same, so a receiver can drop the copy.
 * With no SMTP_URL nothing is sent: due rows become `kept`, shown to admins at /admin/mail.
 */

/** Attempts before a message that keeps failing temporarily is marked failed (≈ 6 h of back-off). */
export const MAIL_MAX_ATTEMPTS = 15;
/** A claimed row is due again after this long if its sender never marked it (killed mid-send). */
export const MAIL_LEASE_SECONDS = 60;

/** Seconds to wait after the `attempts`-th failed attempt: 2, 4, 8 … capped at one hour. */
export function backoffSeconds(attempts: number): number {
  return Math.min(2 ** Math.max(1, attempts), 3600);
}

/** Whether an SMTP error is worth retrying: a 4xx reply, or no reply at all (refused, reset, timed out). 5xx: no. */
export function isTemporary(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code !== "number" || code < 500;
}

/** The domain of MAIL_FROM's address ("Crowdfund <no-reply@example.org>" → "example.org"): the Message-IDs' right part. */
export function mailDomain(from: string): string {
  const address = from.match(/<([^<>]+)>\s*$/)?.[1] ?? from;
  return address.slice(address.lastIndexOf("@") + 1).trim() || "localhost";
}

/** The Message-ID of row `id` (RFC 5322 msg-id): stable across attempts, so a copy sent twice is recognisable. */
export function messageIdOf(id: string, from: string): string {
  return `<${id}@${mailDomain(from)}>`;
}

/** The nodemailer SMTP transport of SMTP_URL, with timeouts well inside the claim's lease; undefined without SMTP_URL. */
export function smtpTransport(c: Pick<Config, "SMTP_URL">): Transporter | undefined {
  if (!c.SMTP_URL) return undefined;
  return nodemailer.createTransport({
    url: c.SMTP_URL,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as nodemailer.TransportOptions);
}

export interface SenderDeps {
  db: Db;
  /** Undefined: no SMTP configured, messages are kept. */
  transport: Transporter | undefined;
  from: string;
  log?: Pick<Logger, "warn" | "error">;
}

export interface SendSummary {
  sent: number;
  kept: number;
  /** Temporary errors: due again after a back-off. */
  retried: number;
  failed: number;
}

interface Claimed {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  unsubscribe_url: string | null;
  attempts: number;
}

/**
 * One round: keep (no SMTP) or send up to `batch` due messages. Answers what it did; `sent + kept + retried +
 * failed === 0` means nothing was due. Throws only when the database fails (the caller retries later).
 */
export async function sendDueMail(d: SenderDeps, opts: { batch?: number } = {}): Promise<SendSummary> {
  const batch = opts.batch ?? 10;
  const summary: SendSummary = { sent: 0, kept: 0, retried: 0, failed: 0 };
  if (!d.transport) {
    const kept = await d.db.execute(sql`
      update mail_messages set status = 'kept', last_error = null
      where id in (select id from mail_messages where status = 'pending' and next_attempt_at <= now()
                   order by next_attempt_at limit 500 for update skip locked)
      returning id`);
    summary.kept = kept.length;
    return summary;
  }
  const claimed = (await d.db.execute(sql`
    update mail_messages m set attempts = m.attempts + 1,
                               next_attempt_at = now() + make_interval(secs => ${MAIL_LEASE_SECONDS})
    from (select id from mail_messages where status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at limit ${batch} for update skip locked) due
    where m.id = due.id
    returning m.id, m.to_address, m.subject, m.text_body, m.html_body, m.unsubscribe_url, m.attempts`)) as unknown as Claimed[];
  for (const m of claimed) {
    const outcome = await sendOne(d, m);
    summary[outcome]++;
  }
  return summary;
}

async function sendOne(d: SenderDeps, m: Claimed): Promise<"sent" | "retried" | "failed"> {
  const transport = d.transport as Transporter;
  try {
    await transport.sendMail({
      from: d.from,
      to: m.to_address,
      subject: m.subject,
      text: m.text_body,
      html: m.html_body ?? undefined,
      messageId: messageIdOf(m.id, d.from),
      headers: m.unsubscribe_url
        ? { "List-Unsubscribe": `<${m.unsubscribe_url}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" }
        : undefined,
    });
  } catch (err) {
    const message = String((err as Error)?.message ?? err).slice(0, 1000);
    const retry = isTemporary(err) && m.attempts < MAIL_MAX_ATTEMPTS;
    await d.db.execute(
      retry
        ? sql`update mail_messages set last_error = ${message},
                next_attempt_at = now() + make_interval(secs => ${backoffSeconds(m.attempts)})
              where id = ${m.id} and status = 'pending'`
        : sql`update mail_messages set status = 'failed', last_error = ${message} where id = ${m.id} and status = 'pending'`,
    );
    if (!retry) d.log?.error({ mailId: m.id, err: message, attempts: m.attempts }, "mail: message failed for good");
    return retry ? "retried" : "failed";
  }
  await d.db.execute(
    sql`update mail_messages set status = 'sent', sent_at = now(), last_error = null where id = ${m.id} and status = 'pending'`,
  );
  return "sent";
}

/**
 * Run the sender in the background (the `consumers` role, lib/app/roles.ts): a round every `intervalMs`
 * (default 1 s), and at once again while rounds find work. Database outages are logged as warnings and
 * retried at the next tick. Returns the stop function, which waits for the round in progress.
 */
export function startMailSender(d: SenderDeps, opts: { intervalMs?: number } = {}): () => Promise<void> {
  const interval = opts.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = async () => {
    let busy = false;
    try {
      const s = await sendDueMail(d);
      busy = s.sent + s.kept + s.retried + s.failed > 0;
    } catch (err) {
      if (isDatabaseUnavailable(err)) d.log?.warn({ err: String(err) }, "mail: sender waiting for the database");
      else d.log?.error({ err }, "mail: sender round failed");
    }
    if (!stopped) {
      timer = setTimeout(
        () => {
          current = tick();
        },
        busy ? 0 : interval,
      );
      timer.unref();
    }
  };
  current = tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
    d.transport?.close();
  };
}
