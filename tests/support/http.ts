import { inject } from "vitest";
import { openDb } from "@/db/client";
import { createApiToken } from "@/lib/auth/tokens";
import { findUserByEmail } from "@/lib/users";

export const baseUrl = () => inject("baseUrl");

export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export async function api<T = any>(
  path: string,
  opts: {
    method?: string;
    json?: unknown;
    body?: BodyInit;
    token?: string;
    cookie?: string;
    headers?: Record<string, string>;
    /** Another app's base URL (default: the suite's app). */
    base?: string;
  } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(opts.json);
  }
  const res = await fetch((opts.base ?? baseUrl()) + path, {
    method: opts.method ?? (body ? "POST" : "GET"),
    headers,
    body,
    redirect: "manual",
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

/** A fresh API token for a seeded user, made directly in the test database (or another one). */
export async function tokenFor(email: string, databaseUrl: string = inject("databaseUrl")): Promise<string> {
  const { sql, db } = openDb(databaseUrl, 1);
  try {
    const user = await findUserByEmail(db, email);
    if (!user) throw new Error(`no user ${email}`);
    return (await createApiToken(db, { userId: user.id, name: "test" })).token;
  } finally {
    await sql.end();
  }
}

function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0] as string);
}

/** Sign in through next-auth's real credentials flow; returns the Cookie header of the session. */
export async function signIn(email: string, password = "password", base = baseUrl()): Promise<string> {
  const csrfRes = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = cookiesOf(csrfRes);
  const res = await fetch(`${base}/api/auth/callback/password`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  const session = cookiesOf(res).find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in of ${email} failed (${res.status})`);
  return session;
}

/** Create a campaign as `token` on the app at `base` and publish it (status active); returns its ID. */
export async function activeCampaign(token: string, base: string, over: Record<string, unknown> = {}): Promise<string> {
  const c = await api("/api/campaigns", { base, token, json: validCampaign(over) });
  if (c.status !== 201) throw new Error(`create campaign: ${c.status} ${c.text}`);
  const a = await api(`/api/campaigns/${c.body.id}`, { base, method: "PATCH", token, json: { status: "active" } });
  if (a.status !== 200) throw new Error(`publish campaign: ${a.status} ${a.text}`);
  return c.body.id;
}

export const validCampaign = (over: Record<string, unknown> = {}) => ({
  title: "Fix the village well",
  story: "The well has been dry since spring. Help us dig deeper.",
  goalAmount: 500_000,
  currency: "USD",
  ...over,
});
