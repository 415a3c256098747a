import { Redis as Upstash } from "@upstash/redis";
import Redis from "ioredis";

/**
 * The shared (L2) cache behind one small interface, with two adapters: Redis
 * through ioredis (self-hosted) and Upstash through its REST SDK (Vercel).
 * Values are strings (the callers serialise). Both pass tests/contract/l2-cache.test.ts.
 */
export interface SharedCache {
  readonly kind: "redis" | "upstash";
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(keys: string[]): Promise<void>;
  /** Tell every instance that these keys changed (their L1 copies must go). */
  publish(channel: string, message: string): Promise<void>;
  /** Listen for invalidations; Upstash's REST API has no subscriptions, so there it is a no-op (L1 TTL bounds staleness). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

export function redisCache(url: string): SharedCache {
  // Fail fast when Redis is down: a command gives up after 300 ms (the caller then skips L2 for a while).
  const opts = {
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 300,
    lazyConnect: false,
  };
  const client = new Redis(url, opts);
  let subscriber: Redis | undefined;
  client.on("error", () => {}); // reported per call by the caller
  return {
    kind: "redis",
    get: (key) => client.get(key),
    async set(key, value, ttlSeconds) {
      await client.set(key, value, "EX", ttlSeconds);
    },
    async del(keys) {
      if (keys.length) await client.del(...keys);
    },
    async publish(channel, message) {
      await client.publish(channel, message);
    },
    async subscribe(channel, onMessage) {
      subscriber ??= new Redis(url, { ...opts, enableOfflineQueue: true, maxRetriesPerRequest: null });
      subscriber.on("error", () => {});
      subscriber.on("message", (ch, msg) => {
        if (ch === channel) onMessage(msg);
      });
      await subscriber.subscribe(channel);
    },
    async close() {
      client.disconnect();
      subscriber?.disconnect();
    },
  };
}

export function upstashCache(p: { url: string; token: string }): SharedCache {
  const client = new Upstash({
    url: p.url,
    token: p.token,
    automaticDeserialization: false,
    retry: false,
    enableTelemetry: false,
  });
  return {
    kind: "upstash",
    get: (key) => client.get<string>(key),
    async set(key, value, ttlSeconds) {
      await client.set(key, value, { ex: ttlSeconds });
    },
    async del(keys) {
      if (keys.length) await client.del(...keys);
    },
    async publish(channel, message) {
      await client.publish(channel, message);
    },
    async subscribe() {},
    async close() {},
  };
}
