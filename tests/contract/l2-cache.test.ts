/**
 * One contract for both shared-cache adapters against the real Redis of CI
 * (REDIS_URL): ioredis directly, and the real @upstash/redis SDK through a local
 * server speaking Upstash's REST protocol in front of that Redis.
 * Fails without REDIS_URL (`npm test` defaults it to redis://127.0.0.1:6379).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisCache, type SharedCache, upstashCache } from "@/lib/cache/l2";
import { config } from "@/lib/config";
import { startUpstashServer, type UpstashServer } from "../support/upstash-server";

const REDIS_URL = config().REDIS_URL ?? "";
let upstash: UpstashServer | undefined;

/** REDIS_URL, or an error that fails the test calling it (a missing server fails every test, none is skipped). */
function redisUrl(): string {
  if (!REDIS_URL) throw new Error("REDIS_URL is not set: these tests need a Redis server (npm test sets it)");
  return REDIS_URL;
}

const adapters: [string, () => SharedCache][] = [
  ["redis", () => redisCache(redisUrl())],
  [
    "upstash",
    () => {
      redisUrl();
      return upstashCache({ url: (upstash as UpstashServer).url, token: (upstash as UpstashServer).token });
    },
  ],
];

beforeAll(async () => {
  if (REDIS_URL) upstash = await startUpstashServer(REDIS_URL);
});
afterAll(async () => {
  await upstash?.close();
});

describe.each(adapters)("shared cache adapter: %s", (name, make) => {
  const k = (s: string) => `cf:test:${name}:${Date.now()}:${s}`;

  it("stores, reads and deletes strings, JSON included", async () => {
    const c = make();
    const key = k("a");
    expect(await c.get(key)).toBeNull();
    const value = JSON.stringify({ id: "x", title: "Ünïcödé ✓", amount: 123 });
    await c.set(key, value, 30);
    expect(await c.get(key)).toBe(value);
    await c.del([key]);
    expect(await c.get(key)).toBeNull();
    await c.del([]);
    await c.close();
  });

  it("expires entries after their TTL", async () => {
    const c = make();
    const key = k("ttl");
    await c.set(key, "soon gone", 1);
    expect(await c.get(key)).toBe("soon gone");
    await new Promise((r) => setTimeout(r, 1300));
    expect(await c.get(key)).toBeNull();
    await c.close();
  }, 10_000);

  it("publishes invalidations (and the Redis adapter delivers them to subscribers)", async () => {
    const c = make();
    const channel = k("chan");
    if (name === "redis") {
      const listener = redisCache(redisUrl());
      const got = new Promise<string>((resolve) => listener.subscribe(channel, resolve));
      await new Promise((r) => setTimeout(r, 200));
      await c.publish(channel, "id1,id2");
      expect(await got).toBe("id1,id2");
      await listener.close();
    } else {
      await expect(c.publish(channel, "id1")).resolves.toBeUndefined();
    }
    await c.close();
  });
});

describe("adapters when Redis is down", () => {
  it("reject instead of hanging a request", async () => {
    const dead = redisCache("redis://127.0.0.1:1");
    await expect(dead.get("x")).rejects.toThrow();
    await expect(dead.set("x", "y", 1)).rejects.toThrow();
    await dead.close();
  });

  it("the Upstash SDK sent real REST requests to the local server", () => {
    redisUrl();
    expect(upstash?.requests.length).toBeGreaterThan(0);
    expect(["/", "/pipeline"]).toContain(upstash?.requests[0]?.path);
  });
});
