import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { db, services } from "@/lib/app";
import { type Config, config } from "@/lib/config";
import { logger } from "@/lib/log";
import { currentSessionVersion, sessionVersionClaim, signInWithOAuth } from "@/lib/users";
import { type GitHubProfile, gitHubProvider } from "./github";
import { authorizePassword } from "./password";
import { clientIp } from "./ratelimit";
import { sameOriginPath } from "./redirect";
import type { SessionUser } from "./session";

// Development-only fallback so `next dev` works with nothing configured; production requires NEXTAUTH_SECRET (lib/config).
const DEV_SECRET = "development-only-secret-not-for-production-use";

/**
 * Thrown by the jwt callback for a session cookie from before the user's last "Sign out everywhere": next-auth
 * then answers no session and clears the cookie (its /api/auth/session). Logged as info.
 */
class SessionRevoked extends Error {
  constructor() {
    super("SessionRevoked");
  }
}

export function authSecret(c: Config = config()): string {
  return c.NEXTAUTH_SECRET ?? DEV_SECRET;
}

/**
 * next-auth configuration: JWT sessions (no session table to hit on every read),
 * the user's ID in `token.sub`. Providers: GitHub when configured (a verified primary email required, never
 * linked silently to an existing account), and password sign-in when `passwordLogin` is on (development,
 * embedded default, or PASSWORD_LOGIN=true), throttled per account and per IP (lib/auth/password).
 * Every sign-in error lands on /signin?error=<code>; redirects after sign-in stay on our origin.
 */
export function authOptions(c: Config = config()): NextAuthOptions {
  const providers: NextAuthOptions["providers"] = [];
  if (c.GITHUB_ID && c.GITHUB_SECRET) {
    providers.push(gitHubProvider(c));
  }
  if (c.passwordLogin) {
    providers.push(
      CredentialsProvider({
        id: "password",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req) {
          if (!credentials?.email || !credentials.password) return null;
          const s = services();
          const headers = new Headers(req?.headers as Record<string, string> | undefined);
          const r = await authorizePassword(
            { db: s.db, throttle: s.auth.login },
            { email: credentials.email, password: credentials.password, ip: clientIp(headers, s.config.trustedProxyHops) },
          );
          // next-auth turns a thrown error's message into /signin?error=<message>.
          if (r.throttled) throw new Error("LoginThrottled");
          return r.user ? { id: r.user.id, email: r.user.email, name: r.user.name } : null;
        },
      }),
    );
  }
  return {
    secret: authSecret(c),
    session: { strategy: "jwt", maxAge: 30 * 24 * 3600 },
    pages: { signIn: "/signin", error: "/signin" },
    providers,
    logger: {
      error: (code, metadata) =>
        metadata instanceof SessionRevoked
          ? logger().info({ code }, "session cookie refused: signed out everywhere since it was issued")
          : logger().error({ code, metadata }, "next-auth error"),
      warn: (code) => logger().warn({ code }, "next-auth warning"),
      debug: () => {},
    },
    callbacks: {
      async signIn({ user, account, profile }) {
        if (account?.provider === "github") {
          const email = (profile as GitHubProfile | undefined)?.verified_primary_email;
          if (!email) return "/signin?error=GitHubEmailNotVerified"; // we key users by a verified email only
          const r = await signInWithOAuth(db(), {
            provider: "github",
            providerAccountId: account.providerAccountId,
            verifiedEmail: email,
            name: user.name ?? (profile as GitHubProfile).login,
            image: user.image,
          });
          if (!r.ok) return `/signin?error=${r.reason}`;
          user.id = r.user.id;
        }
        return true;
      },
      /** After sign-in or sign-out: only a path on our own origin (lib/auth/redirect), else the home page. */
      async redirect({ url, baseUrl }) {
        const path = sameOriginPath(url, baseUrl);
        return path ? new URL(path, baseUrl).toString() : baseUrl;
      },
      /**
       * At sign-in the cookie records the user and the user's session version; every later read of the session
       * through next-auth (its /api/auth/session, which also renews the cookie) checks that version against the
       * user's row and throws SessionRevoked once "Sign out everywhere" has changed it. Server renders and the API
       * decode the cookie without this callback; lib/auth/session checks the version where it loads the user.
       */
      async jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.sv = (await currentSessionVersion(db(), user.id)) ?? 0;
        } else if (token.sub && (await currentSessionVersion(db(), token.sub)) !== sessionVersionClaim(token.sv)) {
          throw new SessionRevoked();
        }
        return token;
      },
      async session({ session, token }) {
        if (session.user && token.sub)
          Object.assign(session.user, { id: token.sub, sv: token.sv as number | undefined } satisfies SessionUser);
        return session;
      },
    },
  };
}
