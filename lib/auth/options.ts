import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import { db } from "@/lib/app";
import { type Config, config } from "@/lib/config";
import { logger } from "@/lib/log";
import { upsertOAuthUser, verifyPassword } from "@/lib/users";

// Development-only fallback so `next dev` works with nothing configured; production requires NEXTAUTH_SECRET (lib/config).
const DEV_SECRET = "development-only-secret-not-for-production-use";

export function authSecret(c: Config = config()): string {
  return c.NEXTAUTH_SECRET ?? DEV_SECRET;
}

/**
 * next-auth configuration: JWT sessions (no session table to hit on every read),
 * the user's ID in `token.sub`. Providers: GitHub when configured, and password
 * sign-in of seeded users when `passwordLogin` is on (development, embedded default,
 * or PASSWORD_LOGIN=true).
 */
export function authOptions(c: Config = config()): NextAuthOptions {
  const providers: NextAuthOptions["providers"] = [];
  if (c.GITHUB_ID && c.GITHUB_SECRET) {
    providers.push(GitHubProvider({ clientId: c.GITHUB_ID, clientSecret: c.GITHUB_SECRET }));
  }
  if (c.passwordLogin) {
    providers.push(
      CredentialsProvider({
        id: "password",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials) {
          if (!credentials?.email || !credentials.password) return null;
          const user = await verifyPassword(db(), credentials.email, credentials.password);
          return user ? { id: user.id, email: user.email, name: user.name } : null;
        },
      }),
    );
  }
  return {
    secret: authSecret(c),
    session: { strategy: "jwt", maxAge: 30 * 24 * 3600 },
    pages: { signIn: "/signin" },
    providers,
    logger: {
      error: (code, metadata) => logger().error({ code, metadata }, "next-auth error"),
      warn: (code) => logger().warn({ code }, "next-auth warning"),
      debug: () => {},
    },
    callbacks: {
      async signIn({ user, account, profile }) {
        if (account?.provider === "github") {
          if (!user.email) return false; // we key users by email; GitHub must share one
          const u = await upsertOAuthUser(db(), {
            provider: "github",
            providerAccountId: account.providerAccountId,
            email: user.email,
            name: user.name ?? (profile as { login?: string } | undefined)?.login ?? user.email,
            image: user.image,
          });
          user.id = u.id;
        }
        return true;
      },
      async jwt({ token, user }) {
        if (user) token.sub = user.id;
        return token;
      },
      async session({ session, token }) {
        if (session.user && token.sub) (session.user as { id?: string }).id = token.sub;
        return session;
      },
    },
  };
}
