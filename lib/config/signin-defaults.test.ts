import { describe, expect, it } from "vitest";
import { ConfigError, isLoopback, parseConfig } from "./index";

const prod = { NODE_ENV: "production", NEXTAUTH_SECRET: "s".repeat(40) };

describe("sign-in defaults of the embedded default (issue 13, finding 6)", () => {
  it("npm start listens on loopback unless told otherwise", () => {
    expect(parseConfig({}).HOSTNAME).toBe("127.0.0.1");
  });

  it("seeds the demo users only on loopback; beyond it, a first-run admin instead", () => {
    const onLoopback = parseConfig({ ...prod, CF_EMBEDDED: "true" });
    expect(onLoopback).toMatchObject({ seedDemoUsers: true, passwordLogin: true, firstRunAdmin: false });
    const exposed = parseConfig({ ...prod, CF_EMBEDDED: "true", HOSTNAME: "0.0.0.0" });
    expect(exposed).toMatchObject({ seedDemoUsers: false, passwordLogin: true, firstRunAdmin: true });
    const asked = parseConfig({ ...prod, CF_EMBEDDED: "true", HOSTNAME: "0.0.0.0", SEED_DEMO_USERS: "true" });
    expect(asked).toMatchObject({ seedDemoUsers: true, firstRunAdmin: false });
    // Not the embedded default: nothing seeded, no first-run admin.
    expect(parseConfig({ ...prod, PASSWORD_LOGIN: "true" })).toMatchObject({ seedDemoUsers: false, firstRunAdmin: false });
  });

  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "example.com", "127.0.0.1.example.com"]) expect(isLoopback(h)).toBe(false);
  });
});

describe("TRUST_PROXY (issue 13, finding 2)", () => {
  it("is a number of trusted hops; true and false are 1 and 0", () => {
    expect(parseConfig({})).toMatchObject({ TRUST_PROXY: false, trustedProxyHops: 0 });
    expect(parseConfig({ TRUST_PROXY: "true" })).toMatchObject({ TRUST_PROXY: true, trustedProxyHops: 1 });
    expect(parseConfig({ TRUST_PROXY: "2" })).toMatchObject({ TRUST_PROXY: true, trustedProxyHops: 2 });
    expect(parseConfig({ TRUST_PROXY: "0" })).toMatchObject({ TRUST_PROXY: false, trustedProxyHops: 0 });
    expect(() => parseConfig({ TRUST_PROXY: "lots" })).toThrow(ConfigError);
    expect(() => parseConfig({ TRUST_PROXY: "-1" })).toThrow(/TRUST_PROXY/);
  });
});
