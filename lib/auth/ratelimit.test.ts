import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TinyLfu } from "@/lib/cache/tinylfu";
import { clientIp, type RateKeyDeps, rateLimitKey } from "./ratelimit";
import { hashToken } from "./tokens";

const h = (init: Record<string, string>) => new Headers(init);
const invented = () => `cf_${randomBytes(32).toString("base64url")}`;

/** Deps over a set of existing token hashes, counting lookups. */
function deps(existing: string[], over: Partial<RateKeyDeps> = {}) {
  const hashes = new Set(existing.map(hashToken));
  const calls = { lookups: 0 };
  const d: RateKeyDeps = {
    trustedProxyHops: 0,
    async tokenExists(hash) {
      calls.lookups++;
      return hashes.has(hash);
    },
    async exhausted() {
      return false;
    },
    knownTokens: new TinyLfu<string, boolean>({ maximumSize: 100, ttlMs: 60_000 }),
    ...over,
  };
  return { d, calls };
}

describe("clientIp", () => {
  it("without a trusted proxy takes the address the server recorded (the last entry), never the client's claim", () => {
    expect(clientIp(h({ "x-forwarded-for": "203.0.113.9" }), 0)).toBe("203.0.113.9");
    expect(clientIp(h({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" }), 0)).toBe("203.0.113.9");
    expect(clientIp(h({}), 0)).toBe("unknown");
    expect(clientIp(h({ "x-real-ip": "6.6.6.6" }), 0)).toBe("unknown"); // a header the client sets is no address
  });

  it("with N trusted proxies takes the N-th entry from the end, the one the outermost trusted proxy appended", () => {
    const xff = h({ "x-forwarded-for": "6.6.6.6, 198.51.100.1, 10.0.0.2" });
    expect(clientIp(xff, 1)).toBe("10.0.0.2");
    expect(clientIp(xff, 2)).toBe("198.51.100.1");
    expect(clientIp(xff, 3)).toBe("6.6.6.6");
    expect(clientIp(xff, 5)).toBe("6.6.6.6"); // fewer entries than proxies: the first
  });
});

describe("rateLimitKey", () => {
  it("counts invented, malformed and revoked tokens against the client's IP: no fresh bucket per token", async () => {
    const { d } = deps([]);
    const ip = { "x-forwarded-for": "203.0.113.5" };
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) keys.add(await rateLimitKey(h({ ...ip, authorization: `Bearer ${invented()}` }), d));
    keys.add(await rateLimitKey(h({ ...ip, authorization: "Bearer not-a-token" }), d));
    keys.add(await rateLimitKey(h({ ...ip, authorization: `Bearer cf_${"x".repeat(500)}` }), d));
    expect([...keys]).toEqual(["ip:203.0.113.5"]);
  });

  it("gives an existing token its own bucket, looked up once", async () => {
    const token = invented();
    const { d, calls } = deps([token]);
    const a = await rateLimitKey(h({ "x-forwarded-for": "203.0.113.5", authorization: `Bearer ${token}` }), d);
    const b = await rateLimitKey(h({ "x-forwarded-for": "192.0.2.1", authorization: `bearer ${token}` }), d);
    expect(a).toMatch(/^t:[0-9a-f]{32}$/);
    expect(b).toBe(a);
    expect(calls.lookups).toBe(1);
  });

  it("looks no token up once the IP's bucket is exhausted", async () => {
    const { d, calls } = deps([], { exhausted: async () => true });
    expect(await rateLimitKey(h({ "x-forwarded-for": "203.0.113.5", authorization: `Bearer ${invented()}` }), d)).toBe(
      "ip:203.0.113.5",
    );
    expect(calls.lookups).toBe(0);
  });

  it("counts a token against its IP while the database is unavailable, remembers nothing, and rethrows other errors", async () => {
    const token = invented();
    let down = true;
    const { d, calls } = deps([token], {
      tokenExists: async (hash) => {
        calls.lookups++;
        if (down) throw Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED" });
        return hash === hashToken(token);
      },
    });
    const headers = h({ "x-forwarded-for": "203.0.113.5", authorization: `Bearer ${token}` });
    expect(await rateLimitKey(headers, d)).toBe("ip:203.0.113.5");
    down = false;
    expect(await rateLimitKey(headers, d)).toMatch(/^t:[0-9a-f]{32}$/); // not remembered as unknown
    expect(calls.lookups).toBe(2);
    const broken = deps([], { tokenExists: async () => Promise.reject(new Error("a bug")) }).d;
    await expect(rateLimitKey(h({ authorization: `Bearer ${invented()}` }), broken)).rejects.toThrow("a bug");
  });
});
