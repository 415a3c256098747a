import type { Logger } from "pino";
import { Counter } from "prom-client";
import type { Db } from "@/db/client";
import { services } from "@/lib/app";
import { getCampaign, getPublicCampaign } from "@/lib/campaigns";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { Metrics } from "@/lib/events/metrics";
import { logger } from "@/lib/log";
import type { PublicUser } from "@/lib/users";
import { redisCache, type SharedCache, upstashCache } from "./l2";
import { TinyLfu } from "./tinylfu";

/**
 * Campaign reads (docs/caching.md): in-process W-TinyLFU (L1, 1 s TTL) → Redis or
 * Upstash (L2) → PostgreSQL, with one loader per key at a time. A change
 * (edit, new total) deletes the L2 key and tells every instance, over Redis
 * pub/sub, to drop its L1 copy; the 1 s L1 TTL bounds staleness where no pub/sub
 * exists (Upstash REST, or no shared cache at all). Any cache failure falls back
 * to the database: slower, never wrong.
 */
const L2_TTL_S = 10; // also bounds staleness if an invalidation is lost while Redis flaps
const CHANNEL = "cf:campaigns:invalidate";
const key = (id: string) => `cf:campaign:v1:${id}`;

type Entry = CampaignDto | "draft" | "missing";

/** The campaign cache of one process: L1, L2 client, breaker, loaders in flight, counters. */
export interface CampaignCache {
  l1: TinyLfu<string, Entry>;
  l2?: SharedCache;
  /** Circuit breaker: after an L2 failure, go straight to the database until this time. */
  l2DownUntil: number;
  /** Loads in flight, one per key; `stale` is set when the key is invalidated while it runs. */
  inflight: Map<string, { promise: Promise<Entry>; stale: boolean }>;
  counters: { requests: Counter<"layer" | "result"> };
}

/** The cache `c` configures (CACHE_L1_*, REDIS_URL or Upstash); the composition root makes the process's one. */
export function createCampaignCache(c: Config, deps: { metrics: Metrics; log: Logger }): CampaignCache {
  const l2 = c.REDIS_URL
    ? redisCache(c.REDIS_URL)
    : c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN
      ? upstashCache({ url: c.UPSTASH_REDIS_REST_URL, token: c.UPSTASH_REDIS_REST_TOKEN })
      : undefined;
  const s: CampaignCache = {
    l1: new TinyLfu<string, Entry>({ maximumSize: c.CACHE_L1_SIZE, ttlMs: c.CACHE_L1_TTL_MS }),
    l2,
    l2DownUntil: 0,
    inflight: new Map(),
    counters: {
      requests: new Counter({
        name: "crowdfund_campaign_cache_requests_total",
        help: "Campaign cache lookups by layer and result (hit, miss, error)",
        labelNames: ["layer", "result"],
        registers: [deps.metrics.registry],
      }),
    },
  };
  l2?.subscribe(CHANNEL, (msg) => {
    for (const id of msg.split(",")) forget(s, id);
  }).catch((err) => deps.log.warn({ err: String(err) }, "cache invalidation subscription failed"));
  return s;
}

const state = () => services().campaignCache;

/** Drop this instance's copy of a campaign, and keep a load already in flight from storing what it read. */
function forget(s: CampaignCache, id: string): void {
  s.l1.delete(id);
  const flight = s.inflight.get(id);
  if (flight) {
    flight.stale = true;
    s.inflight.delete(id);
  }
}

const L2_BREAK_MS = 5000;

function l2Usable(s: CampaignCache): s is CampaignCache & { l2: SharedCache } {
  return s.l2 !== undefined && Date.now() >= s.l2DownUntil;
}

function l2Failed(s: CampaignCache, err: unknown, what: string) {
  s.counters.requests.inc({ layer: "l2", result: "error" });
  if (Date.now() >= s.l2DownUntil)
    logger().warn({ err: String(err) }, `L2 cache ${what} failed; using the database for ${L2_BREAK_MS} ms`);
  s.l2DownUntil = Date.now() + L2_BREAK_MS;
}

async function fromL2(s: CampaignCache, id: string): Promise<Entry | undefined> {
  if (!l2Usable(s)) return undefined;
  try {
    const v = await s.l2.get(key(id));
    s.counters.requests.inc({ layer: "l2", result: v ? "hit" : "miss" });
    return v ? (JSON.parse(v) as CampaignDto) : undefined;
  } catch (err) {
    l2Failed(s, err, "read");
    return undefined;
  }
}

async function load(db: Db, s: CampaignCache, id: string): Promise<Entry> {
  const cached = await fromL2(s, id);
  if (cached) return cached;
  const found = await getPublicCampaign(db, id);
  const entry: Entry = found ?? "missing";
  if (typeof entry === "object" && l2Usable(s)) {
    await s.l2.set(key(id), JSON.stringify(entry), L2_TTL_S).catch((err) => l2Failed(s, err, "write"));
  }
  return entry;
}

/** The public view of a campaign through the caches: a DTO, "draft" (not public) or "missing". */
async function cachedPublicCampaign(db: Db, id: string): Promise<Entry> {
  const s = state();
  const hit = s.l1.get(id);
  s.counters.requests.inc({ layer: "l1", result: hit ? "hit" : "miss" });
  if (hit) return hit;
  let flight = s.inflight.get(id);
  if (!flight) {
    // One loader per key at a time: a stampede on a cold viral campaign costs one query.
    const f = { promise: load(db, s, id), stale: false };
    f.promise.then(
      () => s.inflight.get(id) === f && s.inflight.delete(id),
      () => s.inflight.get(id) === f && s.inflight.delete(id),
    );
    s.inflight.set(id, f);
    flight = f;
  }
  const entry = await flight.promise;
  // A load that began before an invalidation may hold the old row: answer with it (it was current
  // when asked), but do not keep it, or this instance would serve it for a whole L1 TTL.
  if (!flight.stale) s.l1.set(id, entry);
  return entry;
}

/**
 * One campaign as a viewer may see it: the one read of a campaign for its page and for
 * `GET /api/campaigns/{id}`. A published campaign (active, ended, suspended) comes through the
 * caches and `viewer` is never asked; a draft is read from the database for its creator or an
 * admin. `viewer` is called only for a draft, so a public read costs no session or token lookup.
 * `isPublic` says whether the copy is the public one, which shared caches (CDNs) may keep.
 * Throws AppError CAMPAIGN_NOT_FOUND for an unknown or malformed ID and for someone else's draft;
 * what `viewer` throws (e.g. INVALID_TOKEN) passes through.
 */
export async function readCampaign(
  db: Db,
  id: string,
  viewer: () => Promise<PublicUser | undefined>,
): Promise<{ campaign: CampaignDto; isPublic: boolean }> {
  const entry = await cachedPublicCampaign(db, id);
  if (typeof entry === "object") return { campaign: entry, isPublic: true };
  const user = entry === "draft" ? await viewer() : undefined;
  if (!user) throw new AppError("CAMPAIGN_NOT_FOUND", "No campaign with this ID");
  return { campaign: await getCampaign(db, id, user), isPublic: false };
}

/**
 * Mark the cached signed-out pages of `ids` (app/(public)/campaigns/[id]/public) stale in this instance, so its
 * next visitor gets a fresh render: possible only inside a request or server action (Next.js throws elsewhere, e.g.
 * in the event consumers, and pages elsewhere expire by themselves within their 2 s).
 */
async function revalidatePages(ids: string[]) {
  try {
    // Imported when needed: next/cache cannot even be loaded outside a Next.js server (scripts/start.ts, the CLIs).
    const { revalidatePath } = await import("next/cache");
    for (const id of ids) revalidatePath(`/campaigns/${id}/public`);
  } catch {
    // Not in a request: nothing to mark here.
  }
}

/**
 * Drop campaigns from this instance's L1, from L2, and (through pub/sub) from every other instance's L1; inside a
 * request, also mark this instance's cached campaign pages stale.
 */
export async function invalidateCampaigns(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const s = state();
  await revalidatePages(ids);
  for (const id of ids) forget(s, id);
  if (!s.l2) return;
  try {
    await s.l2.del(ids.map(key));
    await s.l2.publish(CHANNEL, ids.join(","));
    // A reader that loaded the old row just before the change may write it back to L2 right after
    // this delete; a second delete a moment later closes that window ("delayed double delete").
    const l2 = s.l2;
    setTimeout(() => {
      for (const id of ids) forget(s, id);
      l2.del(ids.map(key)).catch(() => {});
    }, 500).unref();
  } catch (err) {
    // Entries expire within their TTL; the breaker stops reads of possibly stale L2 entries meanwhile.
    l2Failed(s, err, "invalidation");
  }
}

export function cacheStats() {
  const s = state();
  return { l1: { size: s.l1.size, ...s.l1.stats }, l2: s.l2?.kind ?? "none" };
}
