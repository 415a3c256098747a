import type { OAuthConfig } from "next-auth/providers/oauth";
import type { Config } from "@/lib/config";

/** What GitHub answers on `GET /user` (the fields we read). */
interface GitHubUser {
  id: number;
  login: string;
  name?: string | null;
  email?: string | null;
  avatar_url?: string | null;
}

/** One entry of `GET /user/emails` (scope user:email). */
interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/** The profile our GitHub provider hands next-auth: GitHub's user and the primary email IF GitHub verified it. */
export interface GitHubProfile extends GitHubUser {
  /** The primary address of `/user/emails` when `verified` is true; null otherwise (never the public `email`). */
  verified_primary_email: string | null;
}

/**
 * The verified primary email among GitHub's `/user/emails` answer, or null (issue 13, finding 1). The
 * profile's public `email` is not used: an address GitHub has not verified proves nothing about who owns
 * it, and linking by it would let anyone claim an account by adding its email to a GitHub profile.
 */
export function verifiedPrimaryEmail(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const primary = (emails as GitHubEmail[]).find((e) => e && e.primary === true);
  return primary && primary.verified === true && typeof primary.email === "string" ? primary.email : null;
}

/**
 * GitHub sign-in as next-auth's own GitHub provider does it (authorization code, scope `read:user user:email`),
 * except that the email comes only from `/user/emails` and only when primary and verified. The URLs are
 * GitHub's unless GITHUB_OAUTH_URL / GITHUB_API_URL point elsewhere (tests run a server speaking GitHub's
 * protocol). A failed `/user` or `/user/emails` call throws: next-auth answers its OAuthCallback error.
 */
export function gitHubProvider(c: Config): OAuthConfig<GitHubProfile> {
  const oauth = c.GITHUB_OAUTH_URL.replace(/\/$/, "");
  const api = c.GITHUB_API_URL.replace(/\/$/, "");
  const get = async (path: string, accessToken: string): Promise<unknown> => {
    const res = await fetch(`${api}${path}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: "application/vnd.github+json", "user-agent": "crowdfund" },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`GitHub ${path} answered ${res.status}`);
    return res.json();
  };
  return {
    id: "github",
    name: "GitHub",
    type: "oauth",
    clientId: c.GITHUB_ID,
    clientSecret: c.GITHUB_SECRET,
    authorization: { url: `${oauth}/login/oauth/authorize`, params: { scope: "read:user user:email" } },
    token: `${oauth}/login/oauth/access_token`,
    userinfo: {
      url: `${api}/user`,
      async request({ tokens }) {
        const token = tokens.access_token ?? "";
        const user = (await get("/user", token)) as GitHubUser;
        const emails = await get("/user/emails", token);
        const profile: GitHubProfile = { ...user, verified_primary_email: verifiedPrimaryEmail(emails) };
        return profile as unknown as Record<string, unknown>;
      },
    },
    profile(profile) {
      return {
        id: String(profile.id),
        name: profile.name ?? profile.login,
        email: profile.verified_primary_email,
        image: profile.avatar_url ?? null,
      };
    },
  };
}
