import { DrizzleQueryError } from "drizzle-orm/errors";
import { beforeEach, describe, expect, it, vi } from "vitest";

const log = { warn: vi.fn(), error: vi.fn(), info: vi.fn() };
vi.mock("@/lib/log", () => ({ logger: () => log }));

const { errorResponse, publicError } = await import("./index");

const closed = () =>
  new DrizzleQueryError(
    "select * from users where token_hash = $1",
    ["a-secret-hash"],
    Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED" }),
  );

describe("publicError when the database is unavailable", () => {
  beforeEach(() => {
    log.warn.mockClear();
    log.error.mockClear();
  });

  it("answers 503 DATABASE_UNAVAILABLE with Retry-After, logged as a warning without the query's parameters", async () => {
    const e = publicError(closed(), { requestId: "r1" });
    expect(e.code).toBe("DATABASE_UNAVAILABLE");
    expect(e.status).toBe(503);
    expect(Number(e.headers?.["retry-after"])).toBeGreaterThan(0);
    expect(log.error).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[1]).toBe("database unavailable");
    expect(JSON.stringify(log.warn.mock.calls[0]?.[0])).not.toContain("a-secret-hash");

    const res = errorResponse(closed(), "r2");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe(e.headers?.["retry-after"]);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: { code: "DATABASE_UNAVAILABLE", message: expect.any(String) } });
  });

  it("still answers anything else unexpected as a 500 INTERNAL_ERROR, logged as an error", () => {
    const e = publicError(new Error("boom"), {});
    expect(e.code).toBe("INTERNAL_ERROR");
    expect(log.error).toHaveBeenCalledTimes(1);
  });
});
