/**
 * Sign-in and token rules in process, on a real migrated PostgreSQL database and the real limiters
 * (Redis when REDIS_URL is set, as npm test sets it; in memory otherwise). The HTTP side is in
 * tests/integration/auth-hardening.test.ts.
 */
import bcrypt from "bcryptjs";
import pino from "pino";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "@/db/client";
import { apiTokens, oauthAccounts, users } from "@/db/schema";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { ensureFirstRunAdmin, signInWithOAuth, verifyPassword } from "@/lib/users";
import { provisionDatabase, type TestDatabase } from "@/tests/support/env";
import { type AuthGuards, createAuthGuards } from "./guards";
import { authorizePassword } from "./password";
import { mintApiToken } from "./tokens";

let tdb: TestDatabase;
let handle: ReturnType<typeof openDb>;
let db: Db;
const made: AuthGuards[] = [];
/** Guards of their own (a fresh key prefix), once their Redis connection is up. */
async function guards(env: Record<string, string> = {}): Promise<AuthGuards> {
  const g = createAuthGuards(
    parseConfig({ REDIS_URL: process.env.REDIS_URL, RATE_LIMIT_PREFIX: `cf:rl:unit:${uuidv7()}`, ...env }),
    pino({ level: "silent" }),
  );
  made.push(g);
  await g.ready;
  return g;
}

async function user(email: string, password?: string, role: "user" | "admin" = "user") {
  const [u] = await db
    .insert(users)
    .values({ id: uuidv7(), email, name: email, role, passwordHash: password ? await bcrypt.hash(password, 4) : null })
    .returning({ id: users.id });
  return u?.id as string;
}

beforeAll(async () => {
  tdb = await provisionDatabase("authunit");
  handle = openDb(tdb.url, 4);
  db = handle.db;
}, 120_000);

afterAll(async () => {
  await handle?.sql.end();
  await tdb?.drop();
});

describe("password sign-in throttle", () => {
  it("once an account failed its free attempts, refuses it without running bcrypt, then lets it in after the backoff", async () => {
    await user("throttled@example.com", "right-password");
    const throttle = (await guards({ LOGIN_FREE_FAILURES: "3" })).login;
    let compared = 0;
    const verify: typeof verifyPassword = (d, e, p) => {
      compared++;
      return verifyPassword(d, e, p);
    };
    const attempt = (password: string, ip = "198.51.100.1", email = "Throttled@Example.com") =>
      authorizePassword({ db, throttle, verify }, { email, password, ip });

    for (let i = 0; i < 3; i++) expect(await attempt("wrong")).toEqual({ throttled: false, user: undefined });
    expect(compared).toBe(3);
    // The right password, even from another IP and spelled differently: refused before any comparison.
    const refused = await attempt("right-password", "192.0.2.50", "throttled@example.com");
    expect(refused).toMatchObject({ throttled: true });
    expect(refused.throttled && refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(compared).toBe(3);

    await new Promise((r) => setTimeout(r, 1100)); // 2^0 s after the third failure
    const ok = await attempt("right-password");
    expect(ok.user?.email).toBe("throttled@example.com");
    expect(compared).toBe(4);
    // Success cleared the account's failures: one more miss does not block it.
    expect((await attempt("wrong")).throttled).toBe(false);
    expect((await attempt("right-password")).user).toBeDefined();
  });

  it("backs off exponentially: each failure past the free ones doubles the wait", async () => {
    await user("backoff@example.com", "pw");
    const throttle = (await guards({ LOGIN_FREE_FAILURES: "1", LOGIN_BACKOFF_MAX_SECONDS: "4" })).login;
    const s = { email: "backoff@example.com", ip: "198.51.100.9" };
    await throttle.failed(s); // 1st: blocked 1 s
    expect(await throttle.retryAfter(s)).toBe(1);
    await throttle.failed(s); // 2nd: 2 s
    expect(await throttle.retryAfter(s)).toBe(2);
    await throttle.failed(s); // 3rd: 4 s
    expect(await throttle.retryAfter(s)).toBe(4);
    await throttle.failed(s); // 4th: 8 s, capped at 4
    expect(await throttle.retryAfter(s)).toBe(4);
  });

  it("throttles one IP trying many accounts (password spraying), not the accounts from elsewhere", async () => {
    await user("sprayed@example.com", "pw");
    const throttle = (await guards({ LOGIN_FREE_FAILURES_PER_IP: "4" })).login;
    let compared = 0;
    const verify: typeof verifyPassword = (d, e, p) => {
      compared++;
      return verifyPassword(d, e, p);
    };
    for (let i = 0; i < 4; i++) {
      const r = await authorizePassword(
        { db, throttle, verify },
        { email: `guess${i}@example.com`, password: "x", ip: "203.0.113.66" },
      );
      expect(r.throttled).toBe(false);
    }
    const fromSprayer = await authorizePassword(
      { db, throttle, verify },
      { email: "sprayed@example.com", password: "pw", ip: "203.0.113.66" },
    );
    expect(fromSprayer.throttled).toBe(true);
    expect(compared).toBe(4);
    const fromElsewhere = await authorizePassword(
      { db, throttle, verify },
      { email: "sprayed@example.com", password: "pw", ip: "192.0.2.7" },
    );
    expect(fromElsewhere.user?.email).toBe("sprayed@example.com");
  });
});

describe("API token minting", () => {
  it("never lets a user hold more than the cap, even with concurrent requests", async () => {
    const userId = await user("minter@example.com");
    const deps = { db, mint: (await guards({ API_TOKENS_MINT_PER_HOUR: "100" })).mint, maxActive: 3 };
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => mintApiToken(deps, { userId, name: `t${i}` })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AppError);
      expect((r as PromiseRejectedResult).reason.code).toBe("TOKEN_LIMIT_REACHED");
    }
    const rows = await db.select().from(apiTokens);
    expect(rows.filter((t) => t.userId === userId)).toHaveLength(3);
  });

  it("limits how many tokens a user mints per hour, revoked ones included", async () => {
    const userId = await user("rapid@example.com");
    const deps = { db, mint: (await guards({ API_TOKENS_MINT_PER_HOUR: "2" })).mint, maxActive: 100 };
    await mintApiToken(deps, { userId, name: "a" });
    await mintApiToken(deps, { userId, name: "b" });
    const third = await mintApiToken(deps, { userId, name: "c" }).catch((e) => e);
    expect(third).toBeInstanceOf(AppError);
    expect(third.code).toBe("RATE_LIMITED");
    expect(third.status).toBe(429);
  });
});

describe("GitHub identities", () => {
  it("are never linked silently to an existing account with the same email", async () => {
    const victim = await user("victim@example.com", "pw");
    const r = await signInWithOAuth(db, {
      provider: "github",
      providerAccountId: "1001",
      verifiedEmail: "VICTIM@example.com",
      name: "attacker",
    });
    expect(r).toEqual({ ok: false, reason: "OAuthAccountNotLinked" });
    const links = await db.select().from(oauthAccounts);
    expect(links.some((l) => l.userId === victim || l.providerAccountId === "1001")).toBe(false);
  });

  it("create a new user on first sign-in and find it again by the identity", async () => {
    const id = { provider: "github", providerAccountId: "2002", verifiedEmail: "newcomer@example.org", name: "New" };
    const first = await signInWithOAuth(db, id);
    expect(first.ok).toBe(true);
    const again = await signInWithOAuth(db, { ...id, verifiedEmail: "changed@example.org" });
    expect(again.ok && again.user.id).toBe(first.ok && first.user.id);
  });
});

describe("first-run admin", () => {
  it("is created once with a random password stored hashed, and only while no admin can sign in", async () => {
    const created = await ensureFirstRunAdmin(db);
    expect(created?.email).toBe("admin@localhost");
    expect(created?.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const [row] = await db
      .select()
      .from(users)
      .where((await import("drizzle-orm")).eq(users.email, "admin@localhost"));
    expect(row?.role).toBe("admin");
    expect(row?.passwordHash).not.toContain(created?.password as string);
    expect(await bcrypt.compare(created?.password as string, row?.passwordHash as string)).toBe(true);
    expect(await ensureFirstRunAdmin(db)).toBeUndefined(); // never shown again
  });
});
