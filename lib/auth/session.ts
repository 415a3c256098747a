import { cookies, headers } from "next/headers";
import type { NextRequest } from "next/server";
import { getToken } from "next-auth/jwt";
import { cache } from "react";
import { db, services } from "@/lib/app";
import { AppError } from "@/lib/errors";
import { forgedCookieWrite } from "@/lib/http/origin";
import { findSessionUser, type PublicUser, sessionVersionClaim } from "@/lib/users";
import { authSecret } from "./options";
import { userForToken } from "./tokens";

/**
 * Who is calling: a bearer API token (`Authorization: Bearer cf_…`) or the
 * next-auth session cookie. A presented but unknown/revoked token is an error,
 * never a silent fall-back to anonymous (INVALID_TOKEN, 401). A write (not GET/HEAD/OPTIONS) without a token
 * that another site's page sent (lib/http/origin `forgedCookieWrite`) is CROSS_ORIGIN_REQUEST (403) before the
 * cookie is read: the cookie authenticates only our own pages' writes, on every route, also those the proxy does
 * not run for (the streamed upload). A session cookie signed in before the user's last "Sign out everywhere"
 * (another session version, `users.session_version`) counts as no cookie: anonymous.
 */
export async function currentUser(req: Request): Promise<PublicUser | undefined> {
  const auth = req.headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    const user = m?.[1] ? await userForToken(db(), m[1]) : undefined;
    if (!user) throw new AppError("INVALID_TOKEN", "The API token is malformed, unknown or revoked");
    return user;
  }
  if (forgedCookieWrite(req, services().config)) {
    throw new AppError("CROSS_ORIGIN_REQUEST", "Writes with this site's session may only come from this site");
  }
  return cookieUser(req);
}

/**
 * The user next-auth's session cookie names (read from `req`'s `cookies` or `headers`, as `getToken` accepts
 * them), verified (signature, expiry) and still on the user's session version; undefined otherwise. The one
 * path from a cookie to a user, for the API (`currentUser`) and for server renders (`sessionUser`).
 */
async function cookieUser(req: unknown): Promise<PublicUser | undefined> {
  const jwt = await getToken({ req: req as NextRequest, secret: authSecret() });
  return jwt?.sub ? findSessionUser(db(), jwt.sub, sessionVersionClaim(jwt.sv)) : undefined;
}

export async function requireUser(req: Request): Promise<PublicUser> {
  const user = await currentUser(req);
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in or send an API token");
  return user;
}

/**
 * The signed-in user in a server component or server action (session cookie only); undefined when signed out or
 * when the cookie's session version is no longer the user's (signed out everywhere since). Looked up once per
 * server render (React's `cache`): the layout's header and the page ask for it alike. One read of the user's row:
 * the cookie is decoded as the API's `currentUser` decodes it (`cookieUser`), and findSessionUser checks the
 * session version where it loads the user. Not through `getServerSession`, whose jwt callback (lib/auth/options)
 * read the same row once more only to check the same version, and whose renewed cookie a server component cannot
 * set anyway. Outside a render (a server action) React does not memoise it, so each call reads afresh.
 */
export const sessionUser = cache(async (): Promise<PublicUser | undefined> => {
  return cookieUser({ cookies: await cookies(), headers: await headers() });
});

/** What the session callback (lib/auth/options) adds to next-auth's `session.user`. */
export interface SessionUser {
  id?: string;
  /** The session version the cookie was signed in under (`users.session_version` then). */
  sv?: number;
}
