/**
 * "Sign out everywhere": a user's browser sessions (next-auth JWT cookies) end together, on every device and a
 * stolen copy too; API tokens keep working unless asked (lib/auth/sign-out, DELETE /api/me/sessions, the
 * settings page's server action in tests/integration/authorization.test.ts and e2e/sessions.e2e.ts,
 * `npm run cli -- sessions revoke`). Each test signs in a user of its own, made here with a password, so that
 * the seeded users' sessions, which other files use, are never ended.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import bcrypt from "bcryptjs";
import { encode } from "next-auth/jwt";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_AUTH_SECRET } from "../support/env";
import { api, signIn, tokenFor } from "../support/http";

const run = promisify(execFile);
let sql: postgres.Sql;

beforeAll(() => {
  sql = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end();
});

/** A user of this test alone, with password "password"; answers its email and ID. */
async function freshUser(): Promise<{ email: string; id: string }> {
  const id = randomUUID();
  const email = `sessions-${id.slice(0, 8)}@example.com`;
  await sql`insert into users (id, email, name, password_hash)
            values (${id}, ${email}, 'Session Tester', ${await bcrypt.hash("password", 4)})`;
  return { email, id };
}

/** Who the app takes the caller of `cookie` for: the user's email, or the error code when it takes nobody. */
async function whoIs(cookie: string): Promise<string> {
  const r = await api("/api/me/tokens", { cookie });
  if (r.status === 200) return "signed in";
  expect(r.status).toBe(401);
  return r.body.error.code;
}

describe("sign out everywhere", () => {
  it("DELETE /api/me/sessions ends every browser session of the caller, not the API tokens, nor other users'", async () => {
    const u = await freshUser();
    const other = await freshUser();
    const laptop = await signIn(u.email);
    const phone = await signIn(u.email);
    const othersCookie = await signIn(other.email);
    const token = await tokenFor(u.email);
    expect(await whoIs(laptop)).toBe("signed in");
    expect(await whoIs(phone)).toBe("signed in");

    const r = await api("/api/me/sessions", { method: "DELETE", cookie: laptop });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ apiTokensRevoked: 0 });
    expect(r.headers.get("cache-control")).toBe("no-store");

    expect(await whoIs(laptop)).toBe("UNAUTHENTICATED"); // the caller's own session too
    expect(await whoIs(phone)).toBe("UNAUTHENTICATED");
    expect((await api("/api/me/sessions", { method: "DELETE", cookie: phone })).status).toBe(401);
    expect(await whoIs(othersCookie)).toBe("signed in");
    expect((await api("/api/me/campaigns", { token })).status).toBe(200);

    // pages see nobody either: the private page sends the old cookie to sign in
    const page = await api("/settings/sessions", { cookie: phone });
    expect(page.status).toBe(307);
    expect(page.headers.get("location")).toContain("/signin");
    // nor does next-auth's own session endpoint, which clears the cookie instead of renewing it
    const session = await api("/api/auth/session", { cookie: phone });
    expect(session.status).toBe(200);
    expect(session.body).toEqual({});
    const cleared = session.headers.getSetCookie().find((c) => c.startsWith("next-auth.session-token="));
    expect(cleared).toMatch(/^next-auth\.session-token=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i);

    // the user is told, once, by mail
    const mails = await sql<{ subject: string; text_body: string }[]>`
      select subject, text_body from mail_messages where to_user_id = ${u.id} and kind = 'sessions_revoked'`;
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe("You were signed out on every device");
    expect(mails[0]?.text_body).toContain("because you asked to sign out everywhere. Your API tokens were not changed.");

    // signing in again works, and only sessions from before the revocation are refused
    const again = await signIn(u.email);
    expect(await whoIs(again)).toBe("signed in");
    expect(await whoIs(phone)).toBe("UNAUTHENTICATED");
  });

  it("with an API token: the user's cookies end, the token goes on", async () => {
    const u = await freshUser();
    const cookie = await signIn(u.email);
    const token = await tokenFor(u.email);
    expect((await api("/api/me/sessions", { method: "DELETE", token })).status).toBe(200);
    expect(await whoIs(cookie)).toBe("UNAUTHENTICATED");
    expect((await api("/api/me/tokens", { token })).status).toBe(200);
  });

  it("?revokeApiTokens=true revokes every active API token of the user too, and no one else's", async () => {
    const u = await freshUser();
    const other = await freshUser();
    const cookie = await signIn(u.email);
    const [first, second, othersToken] = [await tokenFor(u.email), await tokenFor(u.email), await tokenFor(other.email)];
    const r = await api("/api/me/sessions?revokeApiTokens=true", { method: "DELETE", token: first });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ apiTokensRevoked: 2 });
    expect(await whoIs(cookie)).toBe("UNAUTHENTICATED");
    for (const t of [first, second]) {
      const after = await api("/api/me/tokens", { token: t });
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe("INVALID_TOKEN");
    }
    expect((await api("/api/me/tokens", { token: othersToken })).status).toBe(200);
    const [mail] = await sql<{ text_body: string }[]>`
      select text_body from mail_messages where to_user_id = ${u.id} and kind = 'sessions_revoked'`;
    expect(mail?.text_body).toContain("Your 2 API tokens were revoked too.");
  });

  it("refuses anonymous callers, other methods and another site's page, and changes nothing then", async () => {
    const u = await freshUser();
    const cookie = await signIn(u.email);
    const version = async () => (await sql<{ v: number }[]>`select session_version as v from users where id = ${u.id}`)[0]?.v;

    const anonymous = await api("/api/me/sessions", { method: "DELETE" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHENTICATED");
    const get = await api("/api/me/sessions", { cookie });
    expect(get.status).toBe(405);
    expect(get.body.error.code).toBe("METHOD_NOT_ALLOWED");
    const bad = await api("/api/me/sessions?revokeApiTokens=yes", { method: "DELETE", cookie });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details).toEqual([expect.objectContaining({ field: "revokeApiTokens" })]);
    const forged = await api("/api/me/sessions", {
      method: "DELETE",
      cookie,
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe("CROSS_ORIGIN_REQUEST");
    expect(await version()).toBe(0);
    expect(await whoIs(cookie)).toBe("signed in");
    expect((await sql`select 1 from mail_messages where to_user_id = ${u.id}`).length).toBe(0);
  });

  it("a cookie issued before session versions existed (no version in it) counts as version 0", async () => {
    const u = await freshUser();
    // what next-auth issued before this change: the user's ID, no session version
    const old = `next-auth.session-token=${await encode({ token: { sub: u.id, email: u.email }, secret: TEST_AUTH_SECRET })}`;
    expect(await whoIs(old)).toBe("signed in");
    await sql`update users set session_version = session_version + 1 where id = ${u.id}`;
    expect(await whoIs(old)).toBe("UNAUTHENTICATED");
  });

  it("`npm run cli -- sessions revoke --email` signs a user out everywhere, as an operator would", async () => {
    const u = await freshUser();
    const cookie = await signIn(u.email);
    const root = path.resolve(import.meta.dirname, "../..");
    const env = { ...process.env, DATABASE_URL: inject("databaseUrl") };
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "scripts/cli.ts", "sessions", "revoke", "--email", u.email],
      {
        cwd: root,
        env,
      },
    );
    expect(stdout).toContain(`signed ${u.email} out of every browser session; API tokens are unchanged; the user is emailed`);
    expect(await whoIs(cookie)).toBe("UNAUTHENTICATED");
    const [mail] = await sql<{ text_body: string }[]>`
      select text_body from mail_messages where to_user_id = ${u.id} and kind = 'sessions_revoked'`;
    expect(mail?.text_body).toContain("because our team signed you out everywhere");

    const token = await tokenFor(u.email);
    const withTokens = await run(
      process.execPath,
      ["--import", "tsx", "scripts/cli.ts", "sessions", "revoke", "--email", u.email, "--revoke-api-tokens"],
      { cwd: root, env },
    );
    expect(withTokens.stdout).toContain("1 API token revoked");
    expect((await api("/api/me/tokens", { token })).status).toBe(401);

    const unknown = await run(
      process.execPath,
      ["--import", "tsx", "scripts/cli.ts", "sessions", "revoke", "--email", "nobody-at-all@example.com"],
      { cwd: root, env },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((unknown as { code: number }).code).toBe(1);
    expect((unknown as { stderr: string }).stderr).toContain("no user");
  });
});
