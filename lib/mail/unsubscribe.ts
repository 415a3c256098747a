import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, type SQL, sql } from "drizzle-orm";
import { validate as isUuid } from "uuid";
import type { Db } from "@/db/client";
import { campaignSubscriptions, campaigns, users } from "@/db/schema";
import { AppError } from "@/lib/errors";

/**
 * Unsubscribe tokens (docs/mail.md, "Unsubscribe"): what a link in a message may stop, signed so that no one
 * can stop someone else's mail by guessing IDs. Shapes:
 * - `c.<user ID>.<campaign ID>.<signature>`: that user's updates of that campaign;
 * - `n.<user ID>.<signature>`: that user's donation notices (each gift and the daily digest).
 * The signature is HMAC-SHA256 (RFC 2104) of `unsubscribe:` + everything before it, keyed by a key derived
 * from the app's auth secret (lib/auth `authSecret`), base64url without padding. Tokens do not expire: a
 * link in an old message still works, as RFC 8058 expects. Rotating NEXTAUTH_SECRET voids them all.
 */
export type UnsubscribeScope = { kind: "campaign"; userId: string; campaignId: string } | { kind: "notices"; userId: string };

/**
 * What the confirm page's return address says was stopped (`/unsubscribe?done=<kind>`, set by /api/unsubscribe),
 * or undefined for anything else. The page shows "Unsubscribed" for it; the proxy lets it answer 200.
 */
export function unsubscribedKind(done: string | null | undefined): UnsubscribeScope["kind"] | undefined {
  return done === "campaign" || done === "notices" ? done : undefined;
}

const BLOCK = 64; // SHA-256's block size

/** The signing key: HMAC(auth secret, "mail-unsubscribe"), so it is never the session key itself. */
function signingKey(secret: string): Buffer {
  return createHmac("sha256", secret).update("mail-unsubscribe").digest();
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", signingKey(secret)).update(`unsubscribe:${payload}`).digest("base64url");
}

function payloadOf(s: UnsubscribeScope): string {
  return s.kind === "campaign" ? `c.${s.userId}.${s.campaignId}` : `n.${s.userId}`;
}

/** The token naming `scope`, signed with `secret` (the app's auth secret). */
export function unsubscribeToken(secret: string, scope: UnsubscribeScope): string {
  const payload = payloadOf(scope);
  return `${payload}.${sign(secret, payload)}`;
}

/**
 * What a token names, once its signature checks (constant-time compare). Throws AppError
 * UNSUBSCRIBE_TOKEN_INVALID (400) for a missing, malformed, tampered or foreign-secret token.
 */
export function verifyUnsubscribeToken(secret: string, token: string | null | undefined): UnsubscribeScope {
  const bad = () => new AppError("UNSUBSCRIBE_TOKEN_INVALID", "This unsubscribe link is not valid; use the link of the message");
  if (!token || token.length > 200) throw bad();
  const parts = token.split(".");
  const sig = parts.pop() ?? "";
  let scope: UnsubscribeScope;
  if (parts[0] === "c" && parts.length === 3 && isUuid(parts[1]) && isUuid(parts[2])) {
    scope = { kind: "campaign", userId: parts[1] as string, campaignId: parts[2] as string };
  } else if (parts[0] === "n" && parts.length === 2 && isUuid(parts[1])) {
    scope = { kind: "notices", userId: parts[1] as string };
  } else throw bad();
  const expected = Buffer.from(sign(secret, parts.join(".")));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
  return scope;
}

/**
 * The same token computed by PostgreSQL, for an `INSERT … SELECT` that writes one message per subscriber
 * (lib/mail/consumer.ts): `payload` is an SQL text expression (e.g. `'c.' || s.user_id || '.' || $campaign`).
 * HMAC is built from the built-in `sha256()` (PostgreSQL 11+, no extension): H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)),
 * with both padded keys computed here and passed as parameters; base64 of 32 bytes has no line break.
 */
export function unsubscribeTokenSql(secret: string, payload: SQL): SQL {
  const key = signingKey(secret); // 32 bytes ≤ one block: used as is, zero-padded
  const padded = Buffer.alloc(BLOCK);
  key.copy(padded);
  const ipad = Buffer.from(padded.map((b) => b ^ 0x36));
  const opad = Buffer.from(padded.map((b) => b ^ 0x5c));
  const mac = sql`sha256(${opad}::bytea || sha256(${ipad}::bytea || convert_to('unsubscribe:' || ${payload}, 'UTF8')))`;
  return sql`(${payload} || '.' || rtrim(translate(encode(${mac}, 'base64'), '+/', '-_'), '='))`;
}

/**
 * Stop what `scope` names (idempotent: doing it twice is the same): one campaign's updates deletes the
 * user's `campaign_subscriptions` row; donation notices set the user's `donation_notice` to `off` (no mail per
 * gift, no digest). Messages already queued are still sent. Answers `scope` with the campaign's title, if any.
 */
export async function applyUnsubscribe(db: Db, scope: UnsubscribeScope): Promise<UnsubscribeScope & { campaignTitle?: string }> {
  if (scope.kind === "notices") {
    await db.update(users).set({ donationNotice: "off" }).where(eq(users.id, scope.userId));
    return scope;
  }
  await db
    .delete(campaignSubscriptions)
    .where(and(eq(campaignSubscriptions.userId, scope.userId), eq(campaignSubscriptions.campaignId, scope.campaignId)));
  return { ...scope, campaignTitle: await campaignTitle(db, scope.campaignId) };
}

/** The title of the campaign a scope names (for the confirm page), undefined for donation notices or a missing campaign. */
export async function campaignTitle(db: Db, campaignId: string): Promise<string | undefined> {
  const [row] = await db.select({ title: campaigns.title }).from(campaigns).where(eq(campaigns.id, campaignId));
  return row?.title;
}
