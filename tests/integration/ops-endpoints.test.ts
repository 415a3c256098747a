/**
 * The operations endpoints are not public (docs/security.md, "Operations endpoints"): /api/metrics needs
 * Bearer METRICS_TOKEN or an admin's credential; /api/health tells anyone only whether the app and its
 * database are up, and its details (consumer lag, payments pending) only to the same credential. The
 * outbox and payments scans behind them run at most once per 5 s, whatever the request rate.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type AppServer, startApp } from "../support/env";
import { api, tokenFor } from "../support/http";

const METRICS_TOKEN = "metrics-token-of-the-ops-test-0123456789";

let app: AppServer;
let alice: string;
let carol: string;
beforeAll(async () => {
  [alice, carol] = await Promise.all([tokenFor("alice@example.com"), tokenFor("carol@example.com")]);
  app = await startApp(inject("databaseUrl"), { METRICS_TOKEN });
});
afterAll(async () => {
  await app?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => api(path, { base: app.baseUrl, headers });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe("GET /api/metrics", () => {
  it("refuses anyone without the metrics token or an admin's credential, with a machine-readable code", async () => {
    const anonymous = await get("/api/metrics");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHENTICATED");
    expect(anonymous.text).not.toContain("crowdfund_");
    const wrongSecret = await get("/api/metrics", bearer(`${METRICS_TOKEN}x`));
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error.code).toBe("INVALID_TOKEN");
    const user = await get("/api/metrics", bearer(alice));
    expect(user.status).toBe(403);
    expect(user.body.error.code).toBe("FORBIDDEN");
  });

  it("answers the metrics token and an admin", async () => {
    for (const who of [METRICS_TOKEN, carol]) {
      const m = await get("/api/metrics", bearer(who));
      expect(m.status).toBe(200);
      expect(m.text).toContain("crowdfund_consumer_lag_events");
      expect(m.text).toMatch(/crowdfund_ops_snapshot_timestamp_seconds \d+/);
    }
  });
});

describe("GET /api/health", () => {
  it("tells anyone only that the app and its database are up", async () => {
    for (const headers of [{}, bearer(alice)]) {
      const r = await get("/api/health", headers);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: "ok", checks: { database: { status: "up" } } });
    }
    const bad = await get("/api/health", bearer("cf_not-a-token"));
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("INVALID_TOKEN");
  });

  it("gives the details to the metrics token and an admin", async () => {
    for (const who of [METRICS_TOKEN, carol]) {
      const r = await get("/api/health", bearer(who));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: "ok",
        checks: { database: { status: "up", latencyMs: expect.any(Number) } },
        checkedAt: expect.any(String),
        consumers: expect.any(Object),
        payments: { pending: expect.any(Number) },
      });
    }
  });

  it("scans the outbox at most once per 5 s, however many requests come", async () => {
    // Wait for a fresh scan, so that the burst below falls well inside one interval.
    const first = (await get("/api/health", bearer(METRICS_TOKEN))).body.checkedAt as string;
    let fresh = first;
    for (const until = Date.now() + 8000; fresh === first && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250));
      fresh = (await get("/api/health", bearer(METRICS_TOKEN))).body.checkedAt;
    }
    expect(fresh).toEqual(expect.any(String));
    expect(fresh).not.toBe(first); // a new scan came within the interval (5 s)
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 ? get("/api/health", bearer(METRICS_TOKEN)) : get("/api/metrics", bearer(METRICS_TOKEN)),
      ),
    );
    const scans = new Set(
      burst.map((r) =>
        r.headers.get("content-type")?.includes("json")
          ? Date.parse(r.body.checkedAt)
          : Number(/^crowdfund_ops_snapshot_timestamp_seconds (\S+)$/m.exec(r.text)?.[1]) * 1000,
      ),
    );
    expect([...scans]).toEqual([Date.parse(fresh)]);
  });
});
