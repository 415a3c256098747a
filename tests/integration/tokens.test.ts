import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { describe, expect, inject, it } from "vitest";
import { api, signIn, validCampaign } from "../support/http";

const run = promisify(execFile);

describe("API tokens", () => {
  it("are created and revoked by a signed-in user, and work as bearer tokens until revoked", async () => {
    const cookie = await signIn("alice@example.com");
    const created = await api("/api/me/tokens", { cookie, json: { name: "deploy script" } });
    expect(created.status).toBe(201);
    const { token, id } = created.body;
    expect(token).toMatch(/^cf_[A-Za-z0-9_-]{43}$/);

    const list = await api("/api/me/tokens", { cookie });
    const listed = list.body.items.find((t: { id: string }) => t.id === id);
    expect(listed).toMatchObject({ name: "deploy script", revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(token);

    expect((await api("/api/campaigns", { token, json: validCampaign() })).status).toBe(201);

    const bobCookie = await signIn("bob@example.com");
    expect((await api(`/api/me/tokens/${id}`, { method: "DELETE", cookie: bobCookie })).status).toBe(404);
    expect((await api("/api/campaigns", { token, json: validCampaign() })).status).toBe(201);

    const revoked = await api(`/api/me/tokens/${id}`, { method: "DELETE", cookie });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await api("/api/campaigns", { token, json: validCampaign() });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("INVALID_TOKEN");
  });

  it("are stored hashed, never in plain text", async () => {
    const cookie = await signIn("carol@example.com");
    const { token } = (await api("/api/me/tokens", { cookie, json: { name: "hash check" } })).body;
    const sql = postgres(inject("databaseUrl"), { max: 1 });
    const rows = await sql`select token_hash, prefix from api_tokens`;
    await sql.end();
    expect(rows.some((r) => r.token_hash === token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });

  it("refuses bad input and anonymous callers", async () => {
    const cookie = await signIn("alice@example.com");
    expect((await api("/api/me/tokens", { cookie, json: { name: "" } })).status).toBe(400);
    expect((await api("/api/me/tokens", { json: { name: "x" } })).status).toBe(401);
    expect((await api("/api/me/tokens/not-a-uuid", { method: "DELETE", cookie })).status).toBe(404);
  });

  it("`npm run cli -- tokens create` prints a working token as its last line", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "scripts/cli.ts", "tokens", "create", "--email", "alice@example.com"],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
      },
    );
    const token = stdout.trim().split("\n").at(-1) as string;
    const r = await api("/api/me/campaigns", { token });
    expect(r.status).toBe(200);
    const unknown = await run(
      process.execPath,
      ["--import", "tsx", "scripts/cli.ts", "tokens", "create", "--email", "nobody@example.com"],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((unknown as { code: number }).code).toBe(1);
    expect((unknown as { stderr: string }).stderr).toContain("no user");
  });
});

describe("password sign-in", () => {
  it("refuses a wrong password", async () => {
    await expect(signIn("alice@example.com", "wrong")).rejects.toThrow(/sign-in/);
    await expect(signIn("nobody@example.com")).rejects.toThrow(/sign-in/);
  });
});
