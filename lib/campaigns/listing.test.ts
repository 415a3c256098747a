import { describe, expect, it } from "vitest";
import { createListingCache, type HomeListing } from "./listing";

const empty: HomeListing = { newest: [], nearlyFunded: [] };

describe("createListingCache", () => {
  it("reads once per TTL, requests meanwhile sharing the read", async () => {
    let t = 0;
    let reads = 0;
    const cache = createListingCache(
      async () => {
        reads++;
        return empty;
      },
      5000,
      () => t,
    );
    await Promise.all([cache.get(), cache.get(), cache.get()]);
    t = 4999;
    await cache.get();
    expect(reads).toBe(1);
    t = 5000;
    await cache.get();
    expect(reads).toBe(2);
  });

  it("does not keep a failed read: the next request reads again", async () => {
    let reads = 0;
    const cache = createListingCache(
      async () => {
        reads++;
        if (reads === 1) throw new Error("database down");
        return empty;
      },
      5000,
      () => 0,
    );
    await expect(cache.get()).rejects.toThrow("database down");
    await expect(cache.get()).resolves.toEqual(empty);
    expect(reads).toBe(2);
  });

  it("answers the last listing read while a new read fails", async () => {
    let t = 0;
    let fail = false;
    const first: HomeListing = { newest: [], nearlyFunded: [] };
    const cache = createListingCache(
      async () => {
        if (fail) throw new Error("database down");
        return first;
      },
      5000,
      () => t,
    );
    await cache.get();
    fail = true;
    t = 6000;
    await expect(cache.get()).resolves.toBe(first);
    fail = false;
    await expect(cache.get()).resolves.toBe(first); // read again (the failure was not kept)
  });
});
