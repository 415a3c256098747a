import type { Logger } from "pino";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { appDatabase, openAppDb } from "@/db/app-role";
import type { Db, openDb } from "@/db/client";
import { openReadDb, type ReadDb } from "@/db/replicas";
import type { ServableAsset } from "@/lib/assets";
import { createAssetStorage } from "@/lib/assets/storage";
import type { AssetStorage } from "@/lib/assets/types";
import { type AuthGuards, createAuthGuards } from "@/lib/auth/guards";
import { createRateLimiter } from "@/lib/auth/ratelimit";
import { type CampaignCache, createCampaignCache } from "@/lib/cache/campaigns";
import { TinyLfu } from "@/lib/cache/tinylfu";
import { createListingCache, type HomeListing, homeListing } from "@/lib/campaigns/listing";
import { type Config, config } from "@/lib/config";
import { createMetrics, type Metrics } from "@/lib/events/metrics";
import { createLogger } from "@/lib/log";
import { createOpsSnapshot, type OpsSnapshot, opsScans } from "@/lib/ops";
import { createContributeDeps } from "@/lib/payments";
import type { ContributeDeps } from "@/lib/payments/contributions";
import { createPayoutSettings } from "@/lib/payouts";
import type { PayoutSettings } from "@/lib/payouts/run";
import { processState } from "./process";

/**
 * The composition root (docs/architecture.md, "Composition root"): every dependency the code needs
 * (database pool, logger, metrics, campaign cache, asset storage, rate limiter, the cache-invalidation
 * hooks) is built here, once, from one configuration, and handed to route handlers, server actions,
 * the worker, the CLI and the tests through `services()`. Nothing else in `lib/` keeps a singleton.
 *
 * Each member is built on first use: a CLI command that never touches the cache opens no Redis
 * connection. The process roles (consumers, scheduler, dispatcher) are started from here too
 * (lib/app/roles.ts).
 */
export interface Services {
  readonly config: Config;
  /**
   * The pool of the web role (DATABASE_POOL_SIZE connections), as the least-privilege app role
   * (appDatabase), never the owner; background roles open their own the same way.
   */
  readonly db: Db;
  /**
   * Reads that may lag: on a streaming replica of DATABASE_REPLICA_URLS (writes, `execute` and transactions still
   * on the primary); `db` itself when none is set. Use only where a few-seconds-old answer is right (`readDb()` says
   * where); the rest reads `db`.
   */
  readonly readDb: Db;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly campaignCache: CampaignCache;
  readonly assetStorage: AssetStorage;
  /** Asset rows seen recently (immutable but for deletion): spares the database on every picture. */
  readonly assetRows: TinyLfu<string, ServableAsset | "missing">;
  readonly rateLimiter: RateLimiterAbstract;
  /** Password sign-in throttle, token-minting limit, known-token cache (lib/auth/guards). */
  readonly auth: AuthGuards;
  /** The payment provider (Stripe or the sandbox) and the contribution limits, on the web pool. */
  readonly payments: ContributeDeps;
  /** The payout provider (Stripe Connect or the sandbox) and the payout run's settings, on the web pool. */
  readonly payouts: PayoutSettings;
  /** The outbox and payments scans of /api/health and /api/metrics, run at most once per 5 s (lib/ops). */
  readonly opsSnapshot: { get(): Promise<OpsSnapshot> };
  /** The home page's listings (newest, nearly funded), read at most once per 5 s (lib/campaigns/listing.ts). */
  readonly homeListing: { get(): Promise<HomeListing> };
  /** Hooks run after campaigns change (the cache registers one), by name: a second registration replaces the first. */
  readonly campaignHooks: Map<string, (campaignIds: string[]) => Promise<void> | void>;
  /** Close what was opened (the database pools); safe to call twice. */
  close(): Promise<void>;
}

/** DATABASE_URL of `c`; throws when it is unset (every process but `npm start`'s launcher needs it given). */
export function databaseUrl(c: Config): string {
  if (!c.DATABASE_URL) throw new Error("DATABASE_URL is not set: start the app with `npm start` (embedded PostgreSQL) or set it");
  return c.DATABASE_URL;
}

/** Build the services of `c`, each lazily. Tests and tools build their own; the process uses `services()`. */
export function createServices(c: Config): Services {
  let pool: ReturnType<typeof openDb> | undefined;
  let replicas: ReadDb | undefined;
  const made = new Map<string, unknown>();
  const once = <T>(name: string, build: () => T): T => {
    if (!made.has(name)) made.set(name, build());
    return made.get(name) as T;
  };
  const s: Services = {
    config: c,
    get db() {
      return once("db", () => {
        pool = openAppDb(c, c.DATABASE_POOL_SIZE);
        return pool.db;
      });
    },
    get readDb() {
      return once("readDb", () => {
        const primary = s.db; // opens `pool`
        if (!c.DATABASE_REPLICA_URLS?.length || !pool) return primary;
        const [first, ...rest] = c.DATABASE_REPLICA_URLS;
        replicas = openReadDb(pool, [first as string, ...rest], {
          max: c.DATABASE_POOL_SIZE,
          maxLagMs: c.DATABASE_REPLICA_MAX_LAG_MS,
          onFallback: (r, cause) =>
            s.log.warn(
              { replica: r.name, code: cause.code, err: cause.message },
              "read replica unavailable: its reads go to the primary for a few seconds",
            ),
          onLag: (r) =>
            r.behind
              ? s.log.warn(
                  { replica: r.name, lagMs: r.lagMs },
                  "read replica behind: its reads go to the primary until it catches up",
                )
              : s.log.info({ replica: r.name, lagMs: r.lagMs }, "read replica caught up: reads use it again"),
        });
        return replicas.db;
      });
    },
    get log() {
      return once("log", () => createLogger(c));
    },
    get metrics() {
      return once("metrics", () => createMetrics());
    },
    get campaignCache() {
      return once("campaignCache", () => createCampaignCache(c, { metrics: s.metrics, log: s.log }));
    },
    get assetStorage() {
      return once("assetStorage", () => createAssetStorage(c));
    },
    get assetRows() {
      return once("assetRows", () => new TinyLfu<string, ServableAsset | "missing">({ maximumSize: 10_000, ttlMs: 2000 }));
    },
    get rateLimiter() {
      return once("rateLimiter", () => createRateLimiter(c, s.log));
    },
    get auth() {
      return once("auth", () => createAuthGuards(c, s.log));
    },
    get payments() {
      return once("payments", () => createContributeDeps(s.db, c, s.log));
    },
    get payouts() {
      return once("payouts", () => createPayoutSettings(s.db, c));
    },
    get opsSnapshot() {
      return once("opsSnapshot", () => createOpsSnapshot(opsScans(s.db, () => s.payments.provider.name)));
    },
    get homeListing() {
      return once("homeListing", () => createListingCache(() => homeListing(s.readDb)));
    },
    campaignHooks: new Map(),
    async close() {
      const p = pool;
      const r = replicas;
      pool = undefined;
      replicas = undefined;
      made.delete("db");
      made.delete("readDb");
      await Promise.all([p?.sql.end({ timeout: 5 }), r?.end()]);
    },
  };
  return s;
}

export { appDatabase, openAppDb };

// The one process-wide instance (./process says why it sits on globalThis).
const g = processState;

/** The process's services, built from `config()` on first use. */
export function services(): Services {
  g.__cfServices ??= createServices(config());
  return g.__cfServices;
}

/**
 * The process's database (the web role's pool, on the primary): every query that is not one of `readDb()`'s few
 * reads. Throws when DATABASE_URL is unset.
 */
export function db(): Db {
  return services().db;
}

/**
 * The reads that may be answered by a streaming replica (DATABASE_REPLICA_URLS; the primary when none is set),
 * i.e. up to DATABASE_REPLICA_MAX_LAG_MS (3 s) behind the primary (docs/scaling.md, "Read replicas"). Only these
 * use it:
 *
 * - the home page's listings (`services().homeListing`, itself reused for 5 s);
 * - the recent contributions and updates on the signed-out campaign page (app/(public)/campaigns/[id]/public,
 *   itself regenerated every 2 s), whose reader has no session and so no write of their own to see;
 * - the donor wall's lists (app/(site)/campaigns/[id]/contributions): public lists a click away from the campaign
 *   page (which reads the primary); a gift made a second ago may be missing there until a reload.
 *
 * Everything else stays on `db()`, because its reader may have just written what it reads or acts on what it
 * reads: the campaign itself (the campaign cache would keep a replica's old row after an edit's invalidation),
 * the creator's and signed-in views, the contribute flow, auth, sessions and tokens, admin pages, payouts, the
 * ledger audit, idempotency keys, webhooks, the API. Writes, `execute` and transactions made through `readDb()`
 * still go to the primary (drizzle's `withReplicas`); a read a replica cannot answer (down, restarting, cancelled
 * by replay) is run on the primary, and a replica more than DATABASE_REPLICA_MAX_LAG_MS behind is skipped until it
 * catches up (db/replicas.ts).
 */
export function readDb(): Db {
  return services().readDb;
}
