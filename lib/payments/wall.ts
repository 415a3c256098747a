import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Db } from "@/db/client";
import { contributions, users } from "@/db/schema";
import { logger } from "@/lib/log";
import { type CampaignLife, withinCampaignLife } from "./contributions";
import { STANDING_STATUSES } from "./settle";

/**
 * The donor wall (docs/donor-wall.md): a campaign's top donors and words of support, public. Anonymity is kept
 * everywhere: an anonymous gift is shown as "Anonymous", never with its donor's name, and never added to the
 * donor's named gifts (a donor who gave once by name and once anonymously appears twice, once as each).
 * The paginated list of every gift is `listCampaignContributions` (lib/payments/contributions.ts).
 */

/** What a donor (or one anonymous gift) gave and still gives: paid amounts net of refunds, minor units. */
export interface TopDonor {
  /** The donor's name, or "Anonymous" for one anonymous gift. */
  name: string;
  anonymous: boolean;
  amount: number;
  currency: string;
  /** How many gifts make up `amount` (always 1 for an anonymous gift). */
  gifts: number;
}

export interface WordOfSupport {
  id: string;
  name: string;
  message: string;
  createdAt: string;
}

/** How many top donors the wall shows. */
export const TOP_DONORS = 5;
/** Top donors are recomputed at most this often per campaign and process. */
export const TOP_DONORS_TTL_MS = 60_000;
/** Words of support are looked for among this many of the newest paid gifts (a bounded scan of the campaign's index). */
export const SUPPORT_SCAN = 500;

/**
 * The campaign's TOP_DONORS largest donors by what they still give (paid contributions, not fully refunded, net of
 * refunds): named gifts summed per donor, each anonymous gift on its own as "Anonymous". This reads all of the
 * campaign's paid contributions, so callers use `cachedTopDonors`, which runs it at most once a minute per campaign.
 */
export async function topDonors(db: Db, campaign: CampaignLife): Promise<TopDonor[]> {
  const net = sql<number>`${contributions.amount} - ${contributions.refundedAmount}`;
  const paid = and(
    eq(contributions.campaignId, campaign.id),
    inArray(contributions.status, STANDING_STATUSES),
    ...withinCampaignLife(campaign), // the months of its life only
  );
  // Summed per donor first, and only the TOP_DONORS left joined to their names. Joined before grouping, PostgreSQL
  // hashed the whole users table once a campaign had a few thousand gifts: for the seed's largest campaign at 10 M
  // campaigns (29,000 gifts, 2 M users) 190-230 ms, against 50-70 ms this way, which no longer grows with users.
  const rows = await db.execute<{ name: string; anonymous: boolean; amount: string; currency: string; gifts: string }>(sql`
    select coalesce(${users.name}, 'Anonymous') as name, d.anonymous, d.amount, d.currency, d.gifts from (
      select ${contributions.contributorId} as contributor_id, false as anonymous, sum(${net}) as amount,
             ${contributions.currency} as currency, count(*) as gifts, min(${contributions.id}::text) as first
        from ${contributions}
       where ${paid} and not ${contributions.anonymous}
       group by ${contributions.contributorId}, ${contributions.currency}
      union all
      select null, true, ${net}, ${contributions.currency}, 1, ${contributions.id}::text
        from ${contributions}
       where ${paid} and ${contributions.anonymous}
      order by amount desc, first asc
      limit ${TOP_DONORS}
    ) d left join ${users} on ${users.id} = d.contributor_id and not d.anonymous
    order by d.amount desc, d.first asc`);
  return rows.map((r) => ({
    name: r.name,
    anonymous: r.anonymous,
    amount: Number(r.amount),
    currency: r.currency.trim(),
    gifts: Number(r.gifts),
  }));
}

/**
 * `topDonors` behind a cache of its own, kept `ttlMs` (ms) per campaign (lru-cache: 10,000 campaigns at most), so a
 * viral campaign's gifts are read at most once per `ttlMs` per process, not on every view; the list may be that old.
 * Only the first view of a campaign waits for the query (concurrent first views share it). Once the list has
 * expired, views get the old list at once while one refresh runs in the background (`allowStale`): a campaign with
 * a long history would otherwise make one viewer per `ttlMs` and instance wait for the whole query. A refresh that
 * fails goes to `onRefreshError`, and the old list is kept `retryMs` (ms) more before a view tries again.
 * The function it returns resolves to the list (largest first); it rejects, caching nothing, when a first view's
 * query fails. The app uses one, `cachedTopDonors`; tests make their own with short times.
 */
export function topDonorsCache({
  ttlMs = TOP_DONORS_TTL_MS,
  retryMs = 5_000,
  onRefreshError = (err, campaignId) =>
    logger().warn({ err: String(err), campaignId }, "refreshing top donors failed; the old list stays"),
}: {
  ttlMs?: number;
  retryMs?: number;
  /** Called when a background refresh fails (default: a warning in the process log). */
  onRefreshError?: (err: unknown, campaignId: string) => void;
} = {}): (db: Db, campaign: CampaignLife) => Promise<TopDonor[]> {
  const cache = new LRUCache<string, TopDonor[], { db: Db; campaign: CampaignLife }>({
    max: 10_000,
    ttl: ttlMs,
    allowStale: true,
    fetchMethod: async (id, stale, { context, options }) => {
      try {
        return await topDonors(context.db, context.campaign);
      } catch (err) {
        if (stale === undefined) throw err; // a first view: its caller gets the error
        onRefreshError(err, id);
        options.ttl = retryMs; // the old list again, for a while
        return stale;
      }
    },
  });
  return async (db, campaign) => (await cache.fetch(campaign.id, { context: { db, campaign } })) ?? [];
}

let shared: ReturnType<typeof topDonorsCache> | undefined;

/** The process's `topDonorsCache()` (TOP_DONORS_TTL_MS), made on first use: what the donor wall page shows. */
export function cachedTopDonors(db: Db, campaign: CampaignLife): Promise<TopDonor[]> {
  shared ??= topDonorsCache();
  return shared(db, campaign);
}

/**
 * Words of support: the messages donors left with their paid gifts, newest first, found among the campaign's
 * SUPPORT_SCAN newest paid gifts (contributions_campaign_idx, so a view reads at most that many index entries).
 * The name is "Anonymous" for an anonymous gift.
 */
export async function wordsOfSupport(db: Db, campaign: CampaignLife, limit = 10): Promise<WordOfSupport[]> {
  const recent = db
    .select({
      id: contributions.id,
      contributorId: contributions.contributorId,
      message: contributions.message,
      anonymous: contributions.anonymous,
      createdAt: contributions.createdAt,
    })
    .from(contributions)
    .where(
      and(
        eq(contributions.campaignId, campaign.id),
        inArray(contributions.status, STANDING_STATUSES),
        ...withinCampaignLife(campaign), // the months of its life only
      ),
    )
    .orderBy(desc(contributions.id))
    .limit(SUPPORT_SCAN)
    .as("recent");
  const rows = await db
    .select({
      id: recent.id,
      message: recent.message,
      anonymous: recent.anonymous,
      createdAt: recent.createdAt,
      name: users.name,
    })
    .from(recent)
    .innerJoin(users, eq(users.id, recent.contributorId))
    .where(isNotNull(recent.message))
    .orderBy(desc(recent.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    name: r.anonymous ? "Anonymous" : r.name,
    message: r.message as string,
    createdAt: r.createdAt.toISOString(),
  }));
}
