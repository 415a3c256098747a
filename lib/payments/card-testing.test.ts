import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { createDeclineCounter, isDecline, refuseCardTesting } from "./card-testing";

const warnings: unknown[] = [];
const log = { warn: (o: unknown) => warnings.push(o) };
const counter = () =>
  createDeclineCounter(
    parseConfig({
      NODE_ENV: "test",
      CARD_DECLINES_MAX_PER_USER: "2",
      CARD_DECLINES_MAX_PER_IP: "3",
      CARD_DECLINES_MAX_PER_CARD: "1",
      CARD_DECLINES_WINDOW_SECONDS: "600",
    }),
    log as never,
  );

describe("card-testing counters (in memory: no REDIS_URL)", () => {
  it("refuse a subject once one of its counters reaches its limit, with the seconds until it resets", async () => {
    const c = counter();
    await refuseCardTesting(c, { userId: "u1", ip: "1.2.3.4", fingerprint: "fpAAAAAAAAAAAAAA" }); // nothing yet
    await c.record({ userId: "u1", ip: "1.2.3.4", fingerprint: "fpAAAAAAAAAAAAAA" });
    const err = await refuseCardTesting(c, { userId: "u2", ip: "5.6.7.8", fingerprint: "fpAAAAAAAAAAAAAA" }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("CARD_TESTING_SUSPECTED");
    expect(Number(err.headers["retry-after"])).toBeGreaterThan(590);
    expect(warnings.at(-1)).toMatchObject({ userId: "u2", ip: "5.6.7.8", fingerprint: "fpAAAAAA", scope: "card" });
    // another card of the same user is fine until the user's own limit
    await refuseCardTesting(c, { userId: "u1", ip: "1.2.3.4", fingerprint: "fpBBBBBBBBBBBBBB" });
    await c.record({ userId: "u1", ip: "1.2.3.4" });
    expect(await c.blocked({ userId: "u1", ip: "9.9.9.9" })).toMatchObject({ scope: "user" });
    expect(await c.blocked({ userId: "u3", ip: "1.2.3.4" })).toBeUndefined(); // the IP has 2 of 3
    await c.record({ userId: "u3", ip: "1.2.3.4" });
    expect(await c.blocked({ userId: "u4", ip: "1.2.3.4" })).toMatchObject({ scope: "ip" });
  });

  it("never count an unknown IP (every such request would share it)", async () => {
    const c = counter();
    for (let i = 0; i < 5; i++) await c.record({ userId: `x${i}`, ip: "unknown" });
    expect(await c.blocked({ userId: "y", ip: "unknown" })).toBeUndefined();
  });

  it("count declines, not payments that were abandoned or never made", () => {
    expect(isDecline("generic_decline")).toBe(true);
    expect(isDecline("payment_intent_authentication_failure")).toBe(true);
    expect(isDecline("abandoned")).toBe(false);
    expect(isDecline("payment_not_started")).toBe(false);
  });
});
