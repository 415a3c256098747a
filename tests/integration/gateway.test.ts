import { describe, expect, it } from "vitest";
import { api, baseUrl, signIn, tokenFor, validCampaign } from "../support/http";

describe("the gateway (proxy.ts)", () => {
  it("sets security headers and a request ID on pages and API responses", async () => {
    for (const path of ["/", "/api/health", "/api/campaigns/nope"]) {
      const r = await api(path);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(r.headers.get("referrer-policy")).toBeTruthy();
      expect(r.headers.get("x-request-id")).toBeTruthy();
    }
    const echoed = await api("/api/health", { headers: { "x-request-id": "trace-me-123" } });
    expect(echoed.headers.get("x-request-id")).toBe("trace-me-123");
  });

  it.each(["/dashboard", "/campaigns/new", "/settings/tokens"])("sends anonymous visitors of %s to sign in", async (path) => {
    const r = await api(path);
    expect(r.status).toBe(307);
    const loc = new URL(r.headers.get("location") as string, baseUrl());
    expect(loc.pathname).toBe("/signin");
    expect(loc.searchParams.get("callbackUrl")).toBe(path);
    const cookie = await signIn("alice@example.com");
    expect((await api(path, { cookie })).status).toBe(200);
  });

  it("rate-limits per token with 429, Retry-After and an error body", async () => {
    const token = await tokenFor("bob@example.com");
    let limited: Awaited<ReturnType<typeof api<any>>> | undefined;
    for (let i = 0; i < 400 && !limited; i++) {
      const r = await api("/api/me/campaigns?limit=1", { token });
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited).toBeDefined();
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited?.body.error.code).toBe("RATE_LIMITED");
    // another token is not affected
    expect((await api("/api/me/campaigns?limit=1", { token: await tokenFor("bob@example.com") })).status).toBe(200);
  });
});

describe("operations", () => {
  it("reports health with the database reachable", async () => {
    const r = await api("/api/health");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "ok", checks: { database: { status: "up" } } });
  });

  it("publishes an OpenAPI 3.1 document generated from the zod schemas, and a page rendering it", async () => {
    const r = await api("/api/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining(["/api/campaigns", "/api/campaigns/{id}", "/api/me/campaigns"]),
    );
    const create = r.body.components.schemas.CreateCampaign;
    expect(create.required).toEqual(expect.arrayContaining(["title", "story", "goalAmount", "currency"]));
    expect(create.properties.goalAmount.type).toBe("integer");
    const page = await api("/docs");
    expect(page.status).toBe(200);
    expect(page.text).toContain("/api/campaigns/{id}");
  });
});

describe("no request yields a 5xx or a stack trace", () => {
  const cases: [string, string, Record<string, string>, string | undefined][] = [
    ["POST", "/api/campaigns", { "content-type": "application/json" }, "null"],
    ["POST", "/api/campaigns", { "content-type": "application/json" }, '"a string"'],
    ["POST", "/api/campaigns", { "content-type": "application/json" }, '{"title":{"$gt":""}}'],
    ["POST", "/api/campaigns", { "content-type": "application/json" }, `{"goalAmount":${"9".repeat(400)}}`],
    ["POST", "/api/campaigns", { "content-type": "application/json; charset=utf-8" }, "\u0000\u0001"],
    ["POST", "/api/campaigns", { "content-type": "application/json" }, ""],
    ["PATCH", "/api/campaigns/%00", { "content-type": "application/json" }, "{}"],
    ["GET", "/api/campaigns/%ZZ", {}, undefined],
    ["DELETE", "/api/campaigns", {}, undefined],
    ["PUT", "/api/campaigns/00000000-0000-7000-8000-000000000000", {}, undefined],
    ["GET", "/api/does-not-exist", {}, undefined],
    ["GET", "/api/me/campaigns?cursor[]=1&limit=-5", {}, undefined],
    ["POST", "/api/me/tokens", { "content-type": "application/json" }, '{"name": 42}'],
  ];
  it.each(cases)("%s %s", async (method, path, headers, body) => {
    const token = await tokenFor("alice@example.com");
    const r = await api(path, { method, body, headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.text).not.toMatch(/at .*\.(js|ts):\d+/);
    if (path.startsWith("/api/") && r.status !== 400) expect(r.body.error?.code).toEqual(expect.any(String));
  });

  it("campaign pages answer 404 for unknown and malformed IDs", async () => {
    for (const id of ["00000000-0000-7000-8000-000000000000", "garbage"]) {
      expect((await api(`/campaigns/${id}`)).status).toBe(404);
    }
    const { body: c } = await api("/api/campaigns", {
      token: await tokenFor("alice@example.com"),
      json: validCampaign({ title: "Page render" }),
    });
    const page = await api(`/campaigns/${c.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Page render");
  });
});
