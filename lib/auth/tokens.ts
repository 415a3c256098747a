import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import { AppError } from "@/lib/errors";
import type { PublicUser } from "@/lib/users";
import { isRateLimitRejection } from "./ratelimit";

/**
 * API tokens: `cf_` + 32 random bytes (base64url). The secret is shown once;
 * only its SHA-256 is stored (a fast hash is right for 256-bit random secrets:
 * there is nothing to brute-force, and every API request needs one lookup).
 */
export const TOKEN_PREFIX = "cf_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export type TokenInfo = Pick<typeof apiTokens.$inferSelect, "id" | "name" | "prefix" | "createdAt" | "lastUsedAt" | "revokedAt">;

/** A token as the API answers it in JSON (dates as ISO 8601 strings). */
export interface TokenDto {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function tokenDto(t: TokenInfo): TokenDto {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return { ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) };
}

const infoColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

/**
 * Create an API token for `userId`; the secret is in the answer only. With `maxActive`, refuses when the
 * user already holds that many unrevoked tokens (AppError TOKEN_LIMIT_REACHED, 409): the count and the
 * insert run in one transaction holding the user's row lock, so concurrent requests cannot pass the cap.
 * Without it (operator CLI, tests) no cap applies.
 */
export async function createApiToken(
  db: Db,
  p: { userId: string; name: string; maxActive?: number },
): Promise<{ token: string; info: TokenInfo }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return db.transaction(async (tx) => {
    if (p.maxActive !== undefined) {
      await tx.select({ id: users.id }).from(users).where(eq(users.id, p.userId)).for("update");
      const [row] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(apiTokens)
        .where(and(eq(apiTokens.userId, p.userId), isNull(apiTokens.revokedAt)));
      if ((row?.n ?? 0) >= p.maxActive) {
        throw new AppError(
          "TOKEN_LIMIT_REACHED",
          `You have ${p.maxActive} active API tokens, the most allowed; revoke one first`,
        );
      }
    }
    const [info] = await tx
      .insert(apiTokens)
      .values({ id: uuidv7(), userId: p.userId, name: p.name, prefix: token.slice(0, 10), tokenHash: hashToken(token) })
      .returning(infoColumns);
    if (!info) throw new Error("token insert returned nothing");
    return { token, info };
  });
}

/** What minting a token through the API or a form needs (the composition root's parts). */
export interface MintDeps {
  db: Db;
  /** API_TOKENS_MINT_PER_HOUR per user (services().auth.mint). */
  mint: RateLimiterAbstract;
  /** API_TOKENS_MAX_PER_USER. */
  maxActive: number;
}

/**
 * A user creates an API token (POST /api/me/tokens and its form; issue 13, finding 5): at most
 * `API_TOKENS_MINT_PER_HOUR` per hour (AppError RATE_LIMITED, 429, refused ones count too) and at most
 * `API_TOKENS_MAX_PER_USER` active at once (TOKEN_LIMIT_REACHED, 409). A limiter failure (Redis down with
 * no insurance) does not block minting; the cap still holds.
 */
export async function mintApiToken(
  deps: MintDeps,
  p: { userId: string; name: string },
): Promise<{ token: string; info: TokenInfo }> {
  try {
    await deps.mint.consume(`u:${p.userId}`);
  } catch (e) {
    if (isRateLimitRejection(e)) {
      const s = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw new AppError("RATE_LIMITED", `Too many API tokens created; retry in ${s} s`, [
        { field: "(request)", message: `retry after ${s} s` },
      ]);
    }
  }
  return createApiToken(deps.db, { ...p, maxActive: deps.maxActive });
}

export async function listApiTokens(db: Db, userId: string): Promise<TokenInfo[]> {
  return db.select(infoColumns).from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.id));
}

/** Revoke one of the user's own tokens; another user's token is "not found" (no existence leak). */
export async function revokeApiToken(db: Db, p: { userId: string; tokenId: string }): Promise<TokenInfo> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, p.tokenId), eq(apiTokens.userId, p.userId), isNull(apiTokens.revokedAt)))
    .returning(infoColumns);
  if (row) return row;
  const [existing] = await db
    .select(infoColumns)
    .from(apiTokens)
    .where(and(eq(apiTokens.id, p.tokenId), eq(apiTokens.userId, p.userId)));
  if (existing) return existing; // already revoked: revoking again is a no-op
  throw new AppError("TOKEN_NOT_FOUND", "No such token");
}

/** Revoke every active token of the user (`tx`: the caller's transaction, e.g. "Sign out everywhere"); answers how many. */
export async function revokeAllApiTokens(tx: Db, userId: string): Promise<number> {
  const rows = await tx
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length;
}

/** How often one process writes a token's last_used_at (ms): the SQL guard below says the same across processes. */
const TOUCH_EVERY_MS = 60_000;
/** When this process last touched each token (its ID → Date.now()): most requests then write nothing at all. */
const touchedAt = new Map<string, number>();

/**
 * Whether this process should touch `tokenId` now (and remember that it did): at most once a minute per token.
 * The SQL guard still decides across processes; this only saves the round trip of an update that would change
 * no row. Bounded: past 10,000 tokens, entries older than a minute are dropped.
 */
export function shouldTouch(tokenId: string, now = Date.now()): boolean {
  if (now - (touchedAt.get(tokenId) ?? Number.NEGATIVE_INFINITY) < TOUCH_EVERY_MS) return false;
  touchedAt.set(tokenId, now);
  if (touchedAt.size > 10_000) for (const [k, t] of touchedAt) if (now - t >= TOUCH_EVERY_MS) touchedAt.delete(k);
  return true;
}

/** The user a bearer token belongs to, or undefined when it is unknown or revoked. */
export async function userForToken(db: Db, token: string): Promise<PublicUser | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await db
    .select({ id: users.id, name: users.name, email: users.email, role: users.role, tokenId: apiTokens.id })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  if (!row) return undefined;
  const { tokenId, ...user } = row;
  // Touch at most once a minute per token (not a write per request); a failed touch must not fail the request.
  if (!shouldTouch(tokenId)) return user;
  await db
    .update(apiTokens)
    .set({ lastUsedAt: new Date() })
    .where(
      and(
        eq(apiTokens.id, tokenId),
        sql`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < now() - interval '1 minute')`,
      ),
    )
    .catch(() => {});
  return user;
}
