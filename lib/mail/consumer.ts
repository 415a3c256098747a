import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { authSecret } from "@/lib/auth/options";
import { config } from "@/lib/config";
import { EVENTS, type EventPayload } from "@/lib/events/catalogue";
import type { Applied, ConsumerGroup } from "@/lib/events/consumers";
import { enqueueMail, mailUrl, oneClickUrl, unsubscribePageUrl } from "./queue";
import { campaignUpdateMail, donationReceivedMail, payoutPaidMail, receiptMail, refundIssuedMail } from "./templates";
import { unsubscribeToken, unsubscribeTokenSql } from "./unsubscribe";

/**
 * The `mail` consumer group (docs/mail.md): turns events into queued messages inside the consumer's
 * transaction, so each event writes its messages exactly once (and each message's dedupe key makes a
 * second application, e.g. a NATS redelivery beyond the markers, write nothing):
 * - `contribution.succeeded` → the donor's receipt (`receipt:<contribution>`), and "you received a donation"
 *   to the creator when their `donation_notice` is `each` (`donation:<contribution>`);
 * - `contribution.refunded` → "refund issued" to the donor (`refund:<refund>`);
 * - `payout.paid` → "payout sent" to the creator (`payout:<payout>`);
 * - `campaign.update_posted` → one message per subscriber (`update:<update>:<user>`), written by one
 *   `INSERT … SELECT`, however many subscribers the campaign has.
 * The daily digest is not an event: the scheduler writes it (lib/mail/digest.ts).
 */
const TYPES = ["contribution.succeeded", "contribution.refunded", "payout.paid", "campaign.update_posted"] as const;
type MailEvent = (typeof TYPES)[number];

export const mailGroup: ConsumerGroup = {
  name: "mail",
  types: TYPES,
  // Deployed onto an existing database, it starts after the events already there: no mail about the past.
  startsAt: "now",
  parse: (e) => EVENTS[e.type as MailEvent].parse(e.payload),
  async apply(tx, events: Applied) {
    // One read for every contribution the batch names (a viral campaign's batch holds hundreds).
    const ids = events
      .filter((e) => e.event.type === "contribution.succeeded" || e.event.type === "contribution.refunded")
      .map((e) => (e.data as { contributionId: string }).contributionId);
    const rows = await contributionsOf(tx, ids);
    for (const { event, data } of events) {
      switch (event.type as MailEvent) {
        case "contribution.succeeded": {
          const d = data as EventPayload<"contribution.succeeded">;
          const row = rows.get(d.contributionId);
          if (row) await onSucceeded(tx, d, row);
          break;
        }
        case "contribution.refunded": {
          const d = data as EventPayload<"contribution.refunded">;
          const row = rows.get(d.contributionId);
          if (row) await onRefunded(tx, d, row);
          break;
        }
        case "payout.paid":
          await onPayoutPaid(tx, data as EventPayload<"payout.paid">);
          break;
        case "campaign.update_posted":
          await onUpdatePosted(tx, data as EventPayload<"campaign.update_posted">);
          break;
      }
    }
  },
};

interface ContributionRow extends Record<string, unknown> {
  id: string;
  receipt_number: string | null;
  anonymous: boolean;
  settled_at: Date | string | null;
  created_at: Date | string;
  title: string;
  donor_id: string;
  donor_email: string;
  donor_name: string;
  creator_id: string;
  creator_email: string;
  creator_name: string;
  donation_notice: "each" | "daily" | "off";
}

/** The contributions `ids` name, with their campaign's title, donor and creator, by contribution ID. */
async function contributionsOf(tx: Db, ids: string[]): Promise<Map<string, ContributionRow>> {
  if (ids.length === 0) return new Map();
  const list = sql.join(
    [...new Set(ids)].map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const rows = await tx.execute<ContributionRow>(sql`
    select c.id, c.receipt_number, c.anonymous, c.settled_at, c.created_at, k.title,
           d.id as donor_id, d.email as donor_email, d.name as donor_name,
           u.id as creator_id, u.email as creator_email, u.name as creator_name, u.donation_notice
    from contributions c
    join campaigns k on k.id = c.campaign_id
    join users d on d.id = c.contributor_id
    join users u on u.id = k.creator_id
    where c.id in (${list})`);
  return new Map(rows.map((r) => [r.id, r]));
}

async function onSucceeded(tx: Db, e: EventPayload<"contribution.succeeded">, row: ContributionRow) {
  const c = config();
  const receiptUrl = mailUrl(c, `/contributions/${e.contributionId}/receipt`);
  const receipt = receiptMail({
    donorName: row.donor_name,
    receiptNumber: Number(row.receipt_number ?? 0),
    amount: e.amount,
    currency: e.currency,
    campaignTitle: row.title,
    date: new Date(row.settled_at ?? row.created_at),
    receiptUrl,
  });
  await enqueueMail(tx, {
    dedupeKey: `receipt:${e.contributionId}`,
    kind: "receipt",
    toUserId: row.donor_id,
    toAddress: row.donor_email,
    ...receipt,
  });
  if (row.donation_notice !== "each") return;
  const token = unsubscribeToken(authSecret(c), { kind: "notices", userId: row.creator_id });
  const notice = donationReceivedMail({
    creatorName: row.creator_name,
    donor: { name: row.donor_name, anonymous: row.anonymous },
    amount: e.amount,
    currency: e.currency,
    campaignTitle: row.title,
    campaignUrl: mailUrl(c, `/campaigns/${e.campaignId}`),
    unsubscribeUrl: unsubscribePageUrl(c, token),
  });
  await enqueueMail(tx, {
    dedupeKey: `donation:${e.contributionId}`,
    kind: "donation_received",
    toUserId: row.creator_id,
    toAddress: row.creator_email,
    unsubscribeUrl: oneClickUrl(c, token),
    ...notice,
  });
}

async function onRefunded(tx: Db, e: EventPayload<"contribution.refunded">, row: ContributionRow) {
  const m = refundIssuedMail({
    donorName: row.donor_name,
    amount: e.amount,
    currency: e.currency,
    campaignTitle: row.title,
    receiptNumber: row.receipt_number === null ? null : Number(row.receipt_number),
    receiptUrl: mailUrl(config(), `/contributions/${e.contributionId}/receipt`),
  });
  await enqueueMail(tx, {
    dedupeKey: `refund:${e.refundId}`,
    kind: "refund_issued",
    toUserId: row.donor_id,
    toAddress: row.donor_email,
    ...m,
  });
}

async function onPayoutPaid(tx: Db, e: EventPayload<"payout.paid">) {
  const [row] = await tx.execute<{ title: string; email: string; name: string }>(sql`
    select k.title, u.email, u.name from campaigns k join users u on u.id = ${e.creatorId} where k.id = ${e.campaignId}`);
  if (!row) return;
  const m = payoutPaidMail({
    creatorName: row.name,
    amount: e.amount,
    currency: e.currency,
    campaignTitle: row.title,
    payoutsUrl: mailUrl(config(), `/campaigns/${e.campaignId}`),
  });
  await enqueueMail(tx, {
    dedupeKey: `payout:${e.payoutId}`,
    kind: "payout_paid",
    toUserId: e.creatorId,
    toAddress: row.email,
    ...m,
  });
}

/** A UUIDv7 computed by PostgreSQL (15+ has no uuidv7()): the ms clock in the first 48 bits of a v4, version set to 7. */
const UUIDV7_SQL = sql`encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
  placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6),
  52, 1), 53, 1), 'hex')::uuid`;

async function onUpdatePosted(tx: Db, e: EventPayload<"campaign.update_posted">) {
  const c = config();
  const [u] = await tx.execute<{ body: string; title: string }>(sql`
    select u.body, k.title from campaign_updates u join campaigns k on k.id = u.campaign_id
    where u.id = ${e.updateId} and u.campaign_id = ${e.campaignId}`);
  if (!u) return;
  // Rendered once with a placeholder no update can contain (a fresh random value), replaced per subscriber in SQL.
  const placeholder = `__unsubscribe_${crypto.randomUUID()}__`;
  const m = campaignUpdateMail({
    campaignTitle: u.title,
    body: u.body,
    campaignUrl: mailUrl(c, `/campaigns/${e.campaignId}`),
    unsubscribeUrl: placeholder,
  });
  const token = unsubscribeTokenSql(authSecret(c), sql`'c.' || s.user_id::text || '.' || ${e.campaignId}::text`);
  await tx.execute(sql`
    insert into mail_messages (id, dedupe_key, kind, to_user_id, to_address, subject, text_body, html_body, unsubscribe_url)
    select ${UUIDV7_SQL}, 'update:' || ${e.updateId}::text || ':' || s.user_id::text, 'campaign_update', s.user_id, usr.email,
           ${m.subject}, replace(${m.text}, ${placeholder}, ${unsubscribePageUrl(c, "")} || t.token),
           replace(${m.html}, ${placeholder}, ${unsubscribePageUrl(c, "")} || t.token), ${oneClickUrl(c, "")} || t.token
    from campaign_subscriptions s
    join users usr on usr.id = s.user_id
    cross join lateral (select ${token} as token) t
    where s.campaign_id = ${e.campaignId}
    on conflict (dedupe_key) do nothing`);
}
