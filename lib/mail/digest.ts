import { Cron } from "croner";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { authSecret } from "@/lib/auth/options";
import type { Config } from "@/lib/config";
import { isDatabaseUnavailable } from "@/lib/errors";
import { todayIn } from "@/lib/payouts/run";
import { enqueueMail, mailUrl, oneClickUrl, unsubscribePageUrl } from "./queue";
import { type DigestGift, donationDigestMail } from "./templates";
import { unsubscribeToken } from "./unsubscribe";

/** When the scheduler writes the previous day's digests (cron syntax, in PAYOUT_TIMEZONE). */
export const DIGEST_SCHEDULE = "15 0 * * *";

/** The day before `day` (YYYY-MM-DD → YYYY-MM-DD). */
export function previousDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

interface GiftRow extends Record<string, unknown> {
  creator_id: string;
  email: string;
  name: string;
  title: string;
  amount: string;
  currency: string;
  anonymous: boolean;
  donor_name: string;
}

/**
 * Queue the daily digest of `day` (YYYY-MM-DD, a calendar day in `timezone`) for every creator whose
 * `donation_notice` is `daily` and whose campaigns had contributions succeed that day: one message each,
 * dedupe key `digest:<user ID>:<day>`, so running it again (a restart, a second scheduler) writes nothing
 * new. A contribution counts on the day it settled, even if it was refunded since. Answers how many digests
 * were queued now.
 */
export async function writeDigests(
  db: Db,
  c: Pick<Config, "NEXTAUTH_URL" | "PORT">,
  secret: string,
  day: string,
  timezone: string,
) {
  const rows = await db.execute<GiftRow>(sql`
    select u.id as creator_id, u.email, u.name, k.title, c.amount, c.currency, c.anonymous, d.name as donor_name
    from users u
    join campaigns k on k.creator_id = u.id
    join contributions c on c.campaign_id = k.id
    join users d on d.id = c.contributor_id
    where u.donation_notice = 'daily' and c.receipt_number is not null
      and c.settled_at >= (${day}::date::timestamp at time zone ${timezone})
      and c.settled_at < ((${day}::date + 1)::timestamp at time zone ${timezone})
    order by u.id, c.settled_at, c.id`);
  const byCreator = new Map<string, { email: string; name: string; gifts: DigestGift[] }>();
  for (const r of rows) {
    const entry = byCreator.get(r.creator_id) ?? { email: r.email, name: r.name, gifts: [] };
    entry.gifts.push({
      campaignTitle: r.title,
      donor: { name: r.donor_name, anonymous: r.anonymous },
      amount: Number(r.amount),
      currency: r.currency,
    });
    byCreator.set(r.creator_id, entry);
  }
  let queued = 0;
  for (const [userId, e] of byCreator) {
    const token = unsubscribeToken(secret, { kind: "notices", userId });
    const m = donationDigestMail({
      creatorName: e.name,
      day,
      gifts: e.gifts,
      dashboardUrl: mailUrl(c, "/dashboard"),
      unsubscribeUrl: unsubscribePageUrl(c, token),
    });
    const id = await enqueueMail(db, {
      dedupeKey: `digest:${userId}:${day}`,
      kind: "donation_digest",
      toUserId: userId,
      toAddress: e.email,
      unsubscribeUrl: oneClickUrl(c, token),
      ...m,
    });
    if (id) queued++;
  }
  return queued;
}

/**
 * The scheduler role's digest job: at DIGEST_SCHEDULE, and once 5 s after start (catching up on a day the
 * process was down), queue yesterday's digests (in PAYOUT_TIMEZONE, the day payouts use). Safe in any number
 * of processes (dedupe keys). Returns the stop function.
 */
export function startDigestJob(db: Db, c: Config, log: Pick<Logger, "info" | "warn" | "error">): () => Promise<void> {
  const run = async () => {
    const day = previousDay(todayIn(c.PAYOUT_TIMEZONE));
    try {
      const queued = await writeDigests(db, c, authSecret(c), day, c.PAYOUT_TIMEZONE);
      if (queued > 0) log.info({ day, queued }, "mail: daily digests queued");
    } catch (err) {
      if (isDatabaseUnavailable(err)) log.warn({ day }, "mail: digests not written (database unavailable)");
      else log.error({ err, day }, "mail: digests failed");
    }
  };
  const job = new Cron(DIGEST_SCHEDULE, { timezone: c.PAYOUT_TIMEZONE, protect: true }, run);
  const first = setTimeout(run, 5000);
  first.unref();
  return async () => {
    clearTimeout(first);
    job.stop();
  };
}
