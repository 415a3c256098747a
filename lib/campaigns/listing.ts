import { and, between, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { campaigns, users } from "@/db/schema";
import { assetsOf } from "@/lib/assets/queries";
import { selectColumns, toDto } from "./index";
import type { CampaignDto } from "./schemas";

/**
 * The home page's listings (docs/moderation.md, "Home page listings"): a listing, not search. Both read only
 * active campaigns that still take money (no end date, or one still ahead), through the partial indexes of
 * migration 0016, so their cost does not grow with the number of campaigns:
 *
 * - newest: `order by id desc` (UUIDv7 IDs are time-ordered) on `campaigns_active_idx (id) where status = 'active'`;
 * - nearly funded: `funded_decile between 7 and 9` (70–99 % of the goal collected; `funded_decile` is generated:
 *   tenths of the goal, 0–10), `order by funded_decile desc, id desc` on
 *   `campaigns_funded_idx (funded_decile, id) where status = 'active'`.
 *
 * `tests/integration/listing.test.ts` checks with EXPLAIN that both plans use their index, not a scan.
 */
export interface HomeListing {
  newest: CampaignDto[];
  nearlyFunded: CampaignDto[];
}

/** Campaigns per listing on the home page. */
export const LISTING_SIZE = 6;
/** How long a listing is reused (ms): a home page hit does not query PostgreSQL more than once per this. */
export const LISTING_TTL_MS = 5000;

const open = () => or(isNull(campaigns.endsAt), gt(campaigns.endsAt, sql`now()`));

/** The query of `newestCampaigns` (exported for the EXPLAIN check of tests/integration/listing.test.ts). */
export function newestQuery(db: Db, limit: number) {
  return db
    .select(selectColumns)
    .from(campaigns)
    .innerJoin(users, eq(users.id, campaigns.creatorId))
    .where(and(eq(campaigns.status, "active"), open()))
    .orderBy(desc(campaigns.id))
    .limit(limit);
}

/** The query of `nearlyFundedCampaigns` (exported for the EXPLAIN check). */
export function nearlyFundedQuery(db: Db, limit: number) {
  return db
    .select(selectColumns)
    .from(campaigns)
    .innerJoin(users, eq(users.id, campaigns.creatorId))
    .where(and(eq(campaigns.status, "active"), between(campaigns.fundedDecile, 7, 9), open()))
    .orderBy(desc(campaigns.fundedDecile), desc(campaigns.id))
    .limit(limit);
}

/** The `limit` newest active campaigns, newest first (cover pictures included). */
export async function newestCampaigns(db: Db, limit = LISTING_SIZE): Promise<CampaignDto[]> {
  return withAssets(db, await newestQuery(db, limit));
}

/** At most `limit` active campaigns with 70 % to 99 % of their goal collected, the closest to it first. */
export async function nearlyFundedCampaigns(db: Db, limit = LISTING_SIZE): Promise<CampaignDto[]> {
  return withAssets(db, await nearlyFundedQuery(db, limit));
}

async function withAssets(db: Db, rows: Parameters<typeof toDto>[0][]): Promise<CampaignDto[]> {
  const assets = await assetsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toDto(r, assets.get(r.id)));
}

/** Both listings, read together. */
export async function homeListing(db: Db, limit = LISTING_SIZE): Promise<HomeListing> {
  const [newest, nearlyFunded] = await Promise.all([newestCampaigns(db, limit), nearlyFundedCampaigns(db, limit)]);
  return { newest, nearlyFunded };
}

/**
 * The process's cached listing (`services().homeListing`): read at most once per `ttlMs` (default
 * LISTING_TTL_MS), one read at a time (requests arriving meanwhile share it). A failed read is not kept: the
 * next request tries again, and meanwhile the last listing read, if any, is answered (stale rather than an
 * error page while the database restarts). A campaign published, suspended or funded shows within `ttlMs`.
 */
export function createListingCache(
  load: () => Promise<HomeListing>,
  ttlMs = LISTING_TTL_MS,
  now: () => number = Date.now,
): { get(): Promise<HomeListing> } {
  let current: { at: number; value: Promise<HomeListing> } | undefined;
  let lastGood: HomeListing | undefined;
  return {
    get() {
      const t = now();
      if (!current || t - current.at >= ttlMs) {
        const entry: { at: number; value: Promise<HomeListing> } = {
          at: t,
          value: load().then(
            (v) => {
              lastGood = v;
              return v;
            },
            (err: unknown) => {
              if (current === entry) current = undefined;
              if (lastGood) return lastGood;
              throw err;
            },
          ),
        };
        current = entry;
      }
      return current.value;
    },
  };
}
