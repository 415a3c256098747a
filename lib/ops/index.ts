import type { Db } from "@/db/client";
import { equalSecrets } from "@/lib/auth/equal-secrets";
import { AppError } from "@/lib/errors";
import { consumerLag, type GroupLag } from "@/lib/events/lag";
import { pendingPayments } from "@/lib/payments/reconcile";
import type { PublicUser } from "@/lib/users";

/**
 * Who may read the operator's details (docs/security.md, "Operations endpoints"): `GET /api/metrics`, and
 * the details of `GET /api/health` (consumer lag, payments pending, database latency).
 *
 * - `full`: `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time), or an admin's API token or
 *   session. With METRICS_TOKEN unset only admins get in: the endpoints are never public by default, and a
 *   scraper uses an admin's API token. Loopback is not trusted: behind a reverse proxy on the same host
 *   every request comes from loopback.
 * - `user`: a signed-in user (token or session) who is not an admin.
 * - `anonymous`: no credential.
 *
 * Throws AppError INVALID_TOKEN (401) for a presented bearer token that is neither the metrics token nor
 * a live API token (never a silent fall-back to anonymous), as `currentUser` does.
 */
export async function opsAccess(
  req: Request,
  deps: { metricsToken: string | undefined; currentUser: (req: Request) => Promise<PublicUser | undefined> },
): Promise<"full" | "user" | "anonymous"> {
  const auth = req.headers.get("authorization");
  if (auth && deps.metricsToken && equalSecrets(auth.trim(), `Bearer ${deps.metricsToken}`)) return "full";
  const user = await deps.currentUser(req);
  if (!user) return "anonymous";
  return user.role === "admin" ? "full" : "user";
}

/**
 * Refuse a request without the credential `opsAccess` calls `full`: 401 UNAUTHENTICATED with none,
 * 403 FORBIDDEN for a user who is not an admin, 401 INVALID_TOKEN for a bad bearer token.
 */
export async function requireOpsAccess(req: Request, deps: Parameters<typeof opsAccess>[1]): Promise<void> {
  const access = await opsAccess(req, deps);
  if (access === "full") return;
  if (access === "user") throw new AppError("FORBIDDEN", "Only an admin or the metrics token may read this");
  throw new AppError("UNAUTHENTICATED", "Send Authorization: Bearer <METRICS_TOKEN> or an admin's API token");
}

/** What the outbox and payment scans found, and when (one scan serves every request for `ttlMs`). */
export interface OpsSnapshot {
  /** When the scans ran (ISO 8601); tells the reader how stale the figures are, at most `OPS_SNAPSHOT_TTL_MS`. */
  checkedAt: string;
  /** Each consumer group's lag behind the outbox; `{}` when the scan failed. */
  consumers: Record<string, GroupLag>;
  /** The configured provider's payments pending; undefined when the scan failed. */
  payments?: { pending: number; oldestPendingSeconds: number | null };
}

/** How long one outbox/payments scan serves /api/health and /api/metrics (milliseconds). */
export const OPS_SNAPSHOT_TTL_MS = 5000;

/**
 * The scans behind /api/health's details and /api/metrics (consumer lag over the outbox, payments pending),
 * run at most once per `ttlMs` whatever the request rate: concurrent callers share the scan in flight and
 * later ones its result until it is `ttlMs` old. A failed scan reports empty figures rather than throwing.
 * `now` is injectable for tests (milliseconds since the epoch).
 */
export function createOpsSnapshot(
  load: () => Promise<Omit<OpsSnapshot, "checkedAt">>,
  ttlMs: number = OPS_SNAPSHOT_TTL_MS,
  now: () => number = Date.now,
): { get(): Promise<OpsSnapshot> } {
  let current: { at: number; value: Promise<OpsSnapshot> } | undefined;
  return {
    get() {
      const t = now();
      if (!current || t - current.at >= ttlMs) {
        const value = load()
          .catch(() => ({ consumers: {} }))
          .then((v) => ({ checkedAt: new Date(t).toISOString(), ...v }));
        current = { at: t, value };
      }
      return current.value;
    },
  };
}

/** The real scans on `db` for the payment provider named `provider` (what `services().opsSnapshot` runs). */
export function opsScans(db: Db, provider: () => string): () => Promise<Omit<OpsSnapshot, "checkedAt">> {
  return async () => {
    const [consumers, payments] = await Promise.all([
      consumerLag(db).catch(() => ({})),
      pendingPayments(db, provider()).catch(() => undefined),
    ]);
    return { consumers, ...(payments ? { payments } : {}) };
  };
}
