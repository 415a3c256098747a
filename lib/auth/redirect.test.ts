import { describe, expect, it } from "vitest";
import { sameOriginPath } from "./redirect";

const origin = "http://localhost:3000";

describe("sameOriginPath", () => {
  it("keeps paths on our origin, as the browser will read them", () => {
    expect(sameOriginPath("/dashboard", origin)).toBe("/dashboard");
    expect(sameOriginPath("/campaigns/new?x=1#top", origin)).toBe("/campaigns/new?x=1#top");
    expect(sameOriginPath("http://localhost:3000/settings", origin)).toBe("/settings");
    expect(sameOriginPath("/a/../b", origin)).toBe("/b");
  });

  it.each([
    ["a tab", "/\t/evil.example"],
    ["a newline", "/\n/evil.example"],
    ["a carriage return", "/\r/evil.example"],
    ["a backslash", "/\\evil.example"],
    ["two backslashes", "\\\\evil.example"],
    ["a protocol-relative URL", "//evil.example"],
    ["a tab inside the slashes", "\t//evil.example"],
    ["an absolute URL", "https://evil.example/x"],
    ["our host on another scheme", "https://localhost:3000/x"],
    ["our host on another port", "http://localhost:3001/x"],
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,hi"],
    ["a userinfo trick", "http://localhost:3000@evil.example/"],
  ])("refuses %s", (_what, value) => {
    expect(sameOriginPath(value, origin)).toBeUndefined();
  });

  it("refuses what is not a string", () => {
    expect(sameOriginPath(undefined, origin)).toBeUndefined();
    expect(sameOriginPath(["/x"], origin)).toBeUndefined();
    expect(sameOriginPath("", origin)).toBeUndefined();
  });
});
