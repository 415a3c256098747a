import { z } from "zod";

/**
 * Every environment variable the application reads, parsed once with zod.
 * Nothing else in the codebase reads `process.env`: import `config()` instead.
 * A missing or malformed value throws a ConfigError naming the variable.
 */
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: port.default(3000),
    /** PostgreSQL connection string; unset → the embedded PostgreSQL (see db/embedded.ts). */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
    /**
     * The app's own login (docs/operations.md, "Database roles"): a member of `crowdfund_app` that owns
     * nothing; DATABASE_URL (the owner) then only migrates. Unset → the app logs in with DATABASE_URL and
     * acts as `crowdfund_app`. `npm start` and the test suite set it themselves on their own servers.
     */
    DATABASE_APP_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
    /**
     * Streaming replicas of DATABASE_URL's server, comma-separated postgres:// URLs (docs/scaling.md, "Read
     * replicas"): the few reads that tolerate a second of lag go to one of them (lib/app `readDb()`), every
     * other query to the primary. Each URL's login must be allowed to act as `crowdfund_app` (the app login
     * and the owner are). Unset → everything on the primary.
     */
    DATABASE_REPLICA_URLS: z
      .string()
      .transform((list) =>
        list
          .split(",")
          .map((u) => u.trim())
          .filter((u) => u !== ""),
      )
      .pipe(
        z
          .array(
            z
              .string()
              .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
              .refine((u) => URL.canParse(u), "is not a valid URL"),
          )
          .min(1, "must list at least one postgres:// URL"),
      )
      .optional(),
    /** A replica further behind the primary than this (ms) is skipped until it catches up (its reads go elsewhere). */
    DATABASE_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(100).max(3_600_000).default(3000),
    /** Where the embedded default keeps its data (PostgreSQL cluster, generated secret). */
    DATA_DIR: z.string().min(1).default(".data"),
    EMBEDDED_PG_PORT: port.default(54329),
    /** Set by the launcher when the database is the embedded one (internal). */
    CF_EMBEDDED: bool.default(false),
    /** `npm start` skips its build-if-stale step (CI and tests build once up front). */
    CF_SKIP_BUILD: bool.default(false),
    /**
     * Insert the demo users (alice, bob, carol; published password) at start-up. Default: on for the embedded
     * default while it listens on loopback only (HOSTNAME), off otherwise (lib/users/first-run.ts).
     */
    SEED_DEMO_USERS: bool.optional(),
    /** Where `npm start` listens: loopback by default; another address (0.0.0.0) exposes the app beyond this machine. */
    HOSTNAME: z.string().min(1).default("127.0.0.1"),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
      .optional(),
    /** Upstash Redis (REST) as the shared cache on Vercel; REDIS_URL wins when both are set. */
    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    /** Entries of the in-process W-TinyLFU campaign cache. */
    CACHE_L1_SIZE: z.coerce.number().int().min(1).default(10_000),
    /** Lifetime of an L1 entry: bounds staleness where no invalidation reaches this instance. */
    CACHE_L1_TTL_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
    /** next-auth secret: required in production unless the launcher generated one. */
    NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    NEXTAUTH_URL: z.url().optional(),
    GITHUB_ID: z.string().min(1).optional(),
    GITHUB_SECRET: z.string().min(1).optional(),
    /** GitHub's OAuth and API base URLs; only for tests against a local server speaking GitHub's protocol. */
    GITHUB_OAUTH_URL: z.url().default("https://github.com"),
    GITHUB_API_URL: z.url().default("https://api.github.com"),
    /** Password sign-in of seeded users: on in development and the embedded default, off in production unless "true". */
    PASSWORD_LOGIN: bool.optional(),
    RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
    /** Key prefix of the shared (Redis) rate-limit counters; tests use one per run. */
    RATE_LIMIT_PREFIX: z.string().min(1).default("cf:rl"),
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    /**
     * How many proxies in front of the app append to X-Forwarded-For: `false`/0 (none: the client is the
     * connection's address), `true`/1 (one load balancer: its last entry), N (the N-th entry from the end).
     */
    TRUST_PROXY: z
      .union([bool, z.coerce.number().int().min(0).max(10)], { error: "must be true, false or a number of proxies (0-10)" })
      .transform((v) => (typeof v === "boolean" ? Number(v) : v))
      .default(0),
    /** Password sign-in: failures of one account (email) allowed before each next attempt waits 1, 2, 4 … s. */
    LOGIN_FREE_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
    /** The same for all accounts tried from one client IP. */
    LOGIN_FREE_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(20),
    /** Longest wait between password attempts once throttled (the backoff's cap). */
    LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** Active (unrevoked) API tokens a user may hold at once. */
    API_TOKENS_MAX_PER_USER: z.coerce.number().int().min(1).max(10_000).default(20),
    /** API tokens a user may create per hour (revoked ones count). */
    API_TOKENS_MINT_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(30),
    /**
     * Card testing (lib/payments/card-testing.ts): declined payments allowed per user, per client IP and per card
     * (the provider's fingerprint) within CARD_DECLINES_WINDOW_SECONDS; past one, contribution attempts get a 429.
     */
    CARD_DECLINES_MAX_PER_USER: z.coerce.number().int().min(1).default(5),
    CARD_DECLINES_MAX_PER_IP: z.coerce.number().int().min(1).default(5),
    CARD_DECLINES_MAX_PER_CARD: z.coerce.number().int().min(1).default(3),
    CARD_DECLINES_WINDOW_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
    /** Stripe: set both to take real payments; unset → the sandbox provider. */
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_/, "must be a Stripe secret key (sk_… or rk_…)")
      .optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_", "must be a Stripe webhook signing secret (whsec_…)").optional(),
    STRIPE_PUBLISHABLE_KEY: z.string().startsWith("pk_", "must be a Stripe publishable key (pk_…)").optional(),
    /** Stripe API base URL; only for tests against a local server speaking Stripe's protocol. */
    STRIPE_API_BASE: z.url().optional(),
    /** Signing secret of the sandbox's webhooks; derived from NEXTAUTH_SECRET when unset. */
    SANDBOX_WEBHOOK_SECRET: z.string().startsWith("whsec_").optional(),
    /** Where the sandbox delivers its webhooks; default this app's own endpoint. */
    SANDBOX_WEBHOOK_URL: z.url().optional(),
    /** How long the sandbox's delayed payment method stays pending. */
    SANDBOX_PENDING_MS: z.coerce.number().int().min(0).max(600_000).default(3000),
    /**
     * Fault injection for the chaos harness (docs/reliability.md), 0 (default) to 1: the share of the sandbox's
     * PaymentIntent and Refund creations whose answer is lost after the sandbox made them (the app sees the provider
     * unavailable and must not charge twice), and of its webhooks dropped without delivery (reconciliation must find
     * the payment). Never set in production; ignored with Stripe.
     */
    SANDBOX_LOSE_ANSWER_RATE: z.coerce.number().min(0).max(1).default(0),
    SANDBOX_LOSE_WEBHOOK_RATE: z.coerce.number().min(0).max(1).default(0),
    /** Daily payout: the day's cut-off is 00:00 in this IANA time zone. */
    PAYOUT_TIMEZONE: z
      .string()
      .default("UTC")
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en-US", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "must be an IANA time zone such as UTC or Europe/Paris"),
    /** A campaign is paid out once its settled, unpaid balance reaches this many minor units. */
    PAYOUT_MINIMUM_MINOR: z.coerce.number().int().min(1).default(100),
    /**
     * A contribution is paid out only once it settled at least this many hours before the run's cut-off,
     * so that most refunds and early disputes arrive before its money leaves (0: pay all that settled).
     */
    PAYOUT_HOLD_HOURS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 90)
      .default(24),
    /** When the in-process scheduler runs the day's payouts (cron syntax, in PAYOUT_TIMEZONE). */
    PAYOUT_SCHEDULE: z.string().min(9).default("5 0 * * *"),
    /** When it retries unsubmitted transfers and looks up pending ones. */
    PAYOUT_RECONCILE_SCHEDULE: z.string().min(9).default("*/15 * * * *"),
    /** When the in-process scheduler asks the provider about payments left pending (cron syntax; seconds allowed). */
    PAYMENT_RECONCILE_SCHEDULE: z.string().min(9).default("* * * * *"),
    /** A payment pending this long is asked about (its webhook should have come by then). */
    PAYMENT_RECONCILE_AFTER_SECONDS: z.coerce.number().int().min(0).max(86_400).default(120),
    /**
     * A payment still waiting for its payer to authenticate (3-D Secure) this long is canceled and its
     * contribution fails; one whose create call never reached the provider fails too.
     */
    PAYMENT_ACTION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
    /** Campaigns per batch (one transaction each) of a payout run. */
    PAYOUT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
    /** Provider transfer calls in flight at once. */
    PAYOUT_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
    /** Bearer secret of GET /api/cron/payouts (Vercel Cron sends it); unset → the route refuses every call. */
    CRON_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    /**
     * Bearer secret of GET /api/metrics and of /api/health's details (a Prometheus scraper sends it);
     * unset → only an admin's API token or session reads them (docs/security.md).
     */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** Bytes of pictures and videos one user may store, over all their campaigns (default 1 GiB). */
    STORAGE_QUOTA_BYTES_PER_USER: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024 * 1024),
    /** Simulated latency of each sandbox transfer (tests). */
    SANDBOX_TRANSFER_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
    /** Platform fee in basis points of each contribution (100 = 1 %). */
    PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(5000).default(0),
    /** Largest contribution accepted, in minor units of any currency. */
    CONTRIBUTION_MAX_MINOR: z.coerce.number().int().min(1).default(99_999_999),
    /** Consumer partitions of the event stream; change only with consumers drained. */
    EVENT_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
    /**
     * The process roles this process runs, comma-separated (lib/app/roles.ts): `web` (HTTP), `consumers`
     * (the event consumers), `scheduler` (the daily payout and its reconciliation), `dispatcher` (the
     * sandbox provider's webhook deliveries). Default: all four, or only `web` on Vercel (VERCEL set),
     * where nothing runs in the background. `npm run worker` runs them without `web`.
     */
    SERVICES: z
      .string()
      .regex(
        /^\s*(web|consumers|scheduler|dispatcher)(\s*,\s*(web|consumers|scheduler|dispatcher))*\s*$/,
        "must list roles among web, consumers, scheduler, dispatcher",
      )
      .optional(),
    /**
     * After a payment settles, apply that campaign's pending events in `after()` (within ~2 s), for
     * hosts where no consumer runs in the background. Default: on when VERCEL is set (Vercel sets it).
     */
    EVENT_DRAIN_AFTER_SETTLE: bool.optional(),
    /** Set by Vercel on its deployments. */
    VERCEL: z.string().optional(),
    /** postgres: consumers read the outbox with cursors; nats: a relay publishes to JetStream and consumers read there. */
    EVENT_TRANSPORT: z.enum(["postgres", "nats"]).default("postgres"),
    /** Name of this consumer worker (default host:pid:random). */
    WORKER_ID: z.string().min(1).max(200).optional(),
    NATS_URL: z
      .string()
      .regex(/^(nats|tls):\/\//, "must be a nats:// URL")
      .optional(),
    /** Where campaign pictures and videos are stored: disk (./.data/assets), an S3-compatible bucket, or UploadThing. */
    ASSET_STORAGE: z.enum(["disk", "s3", "uploadthing"]).default("disk"),
    /** Directory of the disk adapter (default DATA_DIR/assets). */
    ASSET_DIR: z.string().min(1).optional(),
    ASSET_MAX_IMAGE_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(10 * 1024 * 1024),
    ASSET_MAX_VIDEO_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(200 * 1024 * 1024),
    ASSET_MAX_PER_CAMPAIGN: z.coerce.number().int().min(1).max(1000).default(20),
    /** Files larger than this go straight from the browser to the bucket (presigned) when the storage supports it. */
    ASSET_DIRECT_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(4 * 1024 * 1024),
    S3_BUCKET: z.string().min(3).optional(),
    S3_REGION: z.string().min(1).default("us-east-1"),
    /** Endpoint of an S3-compatible service (MinIO, R2, …); unset → AWS. */
    S3_ENDPOINT: z.url().optional(),
    S3_FORCE_PATH_STYLE: bool.default(false),
    /** Unset → the AWS default credential chain (instance role, AWS_* variables, …). */
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Key prefix inside the bucket. */
    S3_PREFIX: z.string().default(""),
    UPLOADTHING_TOKEN: z.string().min(1).optional(),
    /** UploadThing API and ingest URLs; only for tests against a local server speaking UploadThing's protocol. */
    UPLOADTHING_API_URL: z.url().optional(),
    UPLOADTHING_INGEST_URL: z.url().optional(),
    /** Host serving UploadThing files (default ufs.sh, the app ID as subdomain); a host containing "local" is served over http with the app ID in the path. */
    UPLOADTHING_UFS_HOST: z.string().min(1).optional(),
    /**
     * Outgoing mail (lib/mail, docs/mail.md): smtp:// or smtps:// URL of the SMTP server, credentials in it
     * (`smtps://user:pass@mail.example.org:465`). Unset → nothing is sent: messages are kept and shown to admins
     * at /admin/mail.
     */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/[^/\s]+/, "must be an smtp:// or smtps:// URL")
      .optional(),
    /** The sender of every message, `Name <address>` or a bare address; its domain names the Message-IDs. */
    MAIL_FROM: z
      .string()
      .regex(/^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, "must be an address, or Name <address>")
      .default("Crowdfund <no-reply@localhost>"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((env, ctx) => {
    if (env.DATABASE_REPLICA_URLS && !env.DATABASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["DATABASE_REPLICA_URLS"],
        message: "needs DATABASE_URL (the primary): the embedded default has no replicas",
      });
    }
    if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["STRIPE_WEBHOOK_SECRET"], message: "required when STRIPE_SECRET_KEY is set" });
    }
    if (env.EVENT_TRANSPORT === "nats" && !env.NATS_URL) {
      ctx.addIssue({ code: "custom", path: ["NATS_URL"], message: "required when EVENT_TRANSPORT=nats" });
    }
    if (env.ASSET_STORAGE === "s3" && !env.S3_BUCKET) {
      ctx.addIssue({ code: "custom", path: ["S3_BUCKET"], message: "required when ASSET_STORAGE=s3" });
    }
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({
        code: "custom",
        path: [env.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID"],
        message: "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together",
      });
    }
    if (env.ASSET_STORAGE === "uploadthing" && !env.UPLOADTHING_TOKEN) {
      ctx.addIssue({ code: "custom", path: ["UPLOADTHING_TOKEN"], message: "required when ASSET_STORAGE=uploadthing" });
    }
    if (Boolean(env.GITHUB_ID) !== Boolean(env.GITHUB_SECRET)) {
      ctx.addIssue({
        code: "custom",
        path: [env.GITHUB_ID ? "GITHUB_SECRET" : "GITHUB_ID"],
        message: "GITHUB_ID and GITHUB_SECRET must be set together",
      });
    }
  });

/** The process roles (SERVICES). */
export const ALL_ROLES = ["web", "consumers", "scheduler", "dispatcher"] as const;
export type Role = (typeof ALL_ROLES)[number];

/** "web, consumers" → a set of roles (the schema has checked the names). */
export function parseRoles(list: string): ReadonlySet<Role> {
  return new Set(list.split(",").map((r) => r.trim() as Role));
}

export type Config = Omit<z.infer<typeof envSchema>, "TRUST_PROXY"> & {
  /** Whether a proxy in front of the app is trusted (X-Forwarded-Host/-Proto, client IP). */
  TRUST_PROXY: boolean;
  /** How many proxies append to X-Forwarded-For (TRUST_PROXY as a number; 0: none). */
  trustedProxyHops: number;
  /** The roles this process runs (SERVICES). */
  services: ReadonlySet<Role>;
  passwordLogin: boolean;
  drainAfterSettle: boolean;
  seedDemoUsers: boolean;
  /**
   * The embedded default exposed beyond loopback without demo users: `npm start` creates a first-run
   * admin with a random password, printed once (lib/users/first-run.ts).
   */
  firstRunAdmin: boolean;
  rateLimit: { max: number; windowSeconds: number };
};

export class ConfigError extends Error {
  constructor(issues: z.core.$ZodIssue[]) {
    const lines = issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    super(`Invalid environment configuration:\n${lines.join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Whether a listen address (HOSTNAME) is reachable from this machine only: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** Parse an environment (exported for tests); empty strings count as unset. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(result.error.issues);
  const c = result.data;
  if (c.NODE_ENV === "production" && !c.NEXTAUTH_SECRET) {
    throw new ConfigError([
      {
        code: "custom",
        path: ["NEXTAUTH_SECRET"],
        message: "required in production (npm start generates one for the embedded default)",
        input: undefined,
      },
    ]);
  }
  const passwordLogin = c.PASSWORD_LOGIN ?? (c.NODE_ENV !== "production" || c.CF_EMBEDDED);
  // Demo users have a published password: seeded by default only where no one else can reach the app.
  const seedDemoUsers = c.SEED_DEMO_USERS ?? (c.CF_EMBEDDED && isLoopback(c.HOSTNAME));
  return {
    ...c,
    TRUST_PROXY: c.TRUST_PROXY > 0,
    trustedProxyHops: c.TRUST_PROXY,
    passwordLogin,
    seedDemoUsers,
    firstRunAdmin: c.CF_EMBEDDED && passwordLogin && !seedDemoUsers,
    drainAfterSettle: c.EVENT_DRAIN_AFTER_SETTLE ?? Boolean(c.VERCEL),
    services: parseRoles(c.SERVICES ?? (c.VERCEL ? "web" : ALL_ROLES.join(","))),
    rateLimit: { max: c.RATE_LIMIT_MAX, windowSeconds: c.RATE_LIMIT_WINDOW_SECONDS },
  };
}

let cached: Config | undefined;

/** Forget the parsed configuration (the launcher sets variables, e.g. DATABASE_URL, then re-reads). */
export function resetConfig(): void {
  cached = undefined;
}

export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
