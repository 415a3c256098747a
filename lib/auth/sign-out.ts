import { eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";
import type { Config } from "@/lib/config";
import { enqueueMail, mailUrl } from "@/lib/mail/queue";
import { sessionsRevokedMail } from "@/lib/mail/templates";
import type { PublicUser } from "@/lib/users";
import { revokeAllApiTokens } from "./tokens";

/** What "Sign out everywhere" did: how many active API tokens it revoked too (0 unless asked to). */
export interface SignedOutEverywhere {
  apiTokensRevoked: number;
}

/**
 * "Sign out everywhere" (docs/security.md, "Stolen or forgotten sessions"), in one transaction:
 * - adds one to `users.session_version`, so that every session cookie issued until now, on any device and a
 *   stolen copy too, is refused from the next request on (lib/auth/session, and next-auth's jwt callback);
 * - with `revokeApiTokens`, revokes every active API token of the user as well (a thief holding a session
 *   could have made one);
 * - queues the `sessions_revoked` mail to the user (lib/mail), so that a sign-out they did not do is seen.
 * `by` says who asked: the user (settings page, DELETE /api/me/sessions) or an operator (the CLI). Throws only
 * what the database throws.
 */
export async function signOutEverywhere(
  db: Db,
  c: Pick<Config, "NEXTAUTH_URL" | "PORT">,
  p: { user: Pick<PublicUser, "id" | "email" | "name">; revokeApiTokens: boolean; by: "user" | "operator" },
): Promise<SignedOutEverywhere> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(eq(users.id, p.user.id))
      .returning({ version: users.sessionVersion });
    if (!row) return { apiTokensRevoked: 0 }; // the user is gone: no session of theirs opens anything
    const apiTokensRevoked = p.revokeApiTokens ? await revokeAllApiTokens(tx, p.user.id) : 0;
    await enqueueMail(tx, {
      dedupeKey: `sessions:${p.user.id}:${row.version}`,
      kind: "sessions_revoked",
      toUserId: p.user.id,
      toAddress: p.user.email,
      ...sessionsRevokedMail({
        name: p.user.name,
        by: p.by,
        apiTokensRevoked,
        signInUrl: mailUrl(c, "/signin"),
        tokensUrl: mailUrl(c, "/settings/tokens"),
        payoutsUrl: mailUrl(c, "/settings/payouts"),
      }),
    });
    return { apiTokensRevoked };
  });
}
