/**
 * The limiters shared through Redis (lib/auth/ratelimit.ts, `insuredLimiter`) against the real Redis of CI
 * (REDIS_URL, as .ci/run sets it). A fresh instance's client is still connecting when the first requests come:
 * those must be counted in Redis like the rest, not in the in-memory insurance and then again from zero in
 * Redis (a client once got 11 answers for a limit of 10 that way).
 */
import Redis from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { insuredLimiter } from "@/lib/auth/ratelimit";
import { config } from "@/lib/config";

const REDIS_URL = config().REDIS_URL;

describe("a Redis-shared limiter", () => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });
  /** A client as the app makes them: no offline queue, so a command before the connection fails at once. */
  const client = () => {
    if (!REDIS_URL) throw new Error("REDIS_URL is not set: this test needs the Redis of CI (.ci/run sets it)");
    const c = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    clients.push(c);
    return c;
  };
  const outcomes = (ps: Promise<unknown>[]) =>
    Promise.all(
      ps.map((p) =>
        p.then(
          () => "allowed",
          () => "refused",
        ),
      ),
    );

  it("counts the calls made before its client's first connection in Redis, so the limit holds across it", async () => {
    const keyPrefix = `cf:test:rl-first-connect:${Date.now()}`;
    const redis = client();
    expect(redis.status).not.toBe("ready"); // the calls below start before the connection is up
    const limiter = insuredLimiter({ points: 3, duration: 60, keyPrefix }, redis);
    const early = await outcomes([1, 2, 3].map(() => limiter.consume("k")));
    const late = await outcomes([4, 5, 6].map(() => limiter.consume("k")));
    expect([...early, ...late]).toEqual(["allowed", "allowed", "allowed", "refused", "refused", "refused"]);
    // One count, in Redis, seen by every instance: a second instance's limiter refuses too.
    expect(await redis.get(`${keyPrefix}:k`)).toBe("6");
    const other = insuredLimiter({ points: 3, duration: 60, keyPrefix }, client());
    expect(await outcomes([other.consume("k")])).toEqual(["refused"]);
  });

  it("counts in memory when Redis cannot be reached, after a bounded wait", async () => {
    const unreachable = new Redis("redis://127.0.0.1:1", {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
      retryStrategy: () => 50,
    });
    unreachable.on("error", () => {});
    clients.push(unreachable);
    const limiter = insuredLimiter({ points: 2, duration: 60, keyPrefix: `cf:test:rl-down:${Date.now()}` }, unreachable);
    const started = Date.now();
    expect(await outcomes([1, 2, 3].map(() => limiter.consume("k")))).toEqual(["allowed", "allowed", "refused"]);
    expect(Date.now() - started).toBeLessThan(5000); // the wait is bounded (1 s), not a hang
  });
});
