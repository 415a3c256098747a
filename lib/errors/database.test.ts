import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, unavailableCause } from "./database";

const withCode = (code: string, message = `failed: ${code}`) => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable", () => {
  it.each([
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "CONNECT_TIMEOUT",
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "08000",
    "08001",
    "08003",
    "08006",
    "08P01",
    "57P01",
    "57P02",
    "57P03",
    "53300",
  ])("recognises %s, bare and wrapped by drizzle", (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    expect(isDatabaseUnavailable(new DrizzleQueryError("select 1", [], withCode(code)))).toBe(true);
  });

  it("walks a cause chain and an AggregateError's errors (a host name's addresses tried in turn)", () => {
    const refused = new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "connect failed");
    expect(isDatabaseUnavailable(new Error("outer", { cause: new DrizzleQueryError("select 1", [], refused) }))).toBe(true);
    expect(unavailableCause(new DrizzleQueryError("select $1", ["secret"], withCode("57P01", "terminating connection")))).toEqual(
      {
        code: "57P01",
        message: "terminating connection",
      },
    );
  });

  it.each([
    ["a unique violation", withCode("23505")],
    ["a serialization failure", withCode("40001")],
    ["a query cancelled by statement_timeout", withCode("57014")],
    ["a syntax error wrapped by drizzle", new DrizzleQueryError("selec 1", [], withCode("42601"))],
    ["a plain error", new Error("boom")],
    ["a string", "CONNECTION_CLOSED"],
    ["null", null],
    ["a numeric code", Object.assign(new Error("x"), { code: 8000 })],
  ])("does not take %s for an outage", (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it("ends on a cyclic cause chain", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});
