import { LRUCache } from "lru-cache";
import { describe, expect, it } from "vitest";
import { prng, zipf } from "@/tests/support/traces";
import { TinyLfu } from "./tinylfu";

interface Cache {
  get(k: number): number | undefined;
  set(k: number, v: number): unknown;
}
/** "get, and set on miss"; returns the number of hits. */
function replay(cache: Cache, keys: Iterable<number>): number {
  let hits = 0;
  for (const k of keys) {
    if (cache.get(k) === undefined) cache.set(k, k);
    else hits++;
  }
  return hits;
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("TinyLfu basics", () => {
  it("gets, sets, has, deletes, clears and counts its size", () => {
    const c = new TinyLfu<string, number>({ maximumSize: 10 });
    expect(c.get("a")).toBeUndefined();
    expect(c.set("a", 1)).toBe(c);
    c.set("b", 2);
    expect(c.size).toBe(2);
    expect(c.get("a")).toBe(1);
    expect(c.has("b")).toBe(true);
    expect(c.has("z")).toBe(false);
    c.set("a", 10);
    expect(c.get("a")).toBe(10);
    expect(c.size).toBe(2);
    expect(c.delete("a")).toBe(true);
    expect(c.delete("a")).toBe(false);
    expect(c.get("a")).toBeUndefined();
    expect(c.size).toBe(1);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.has("b")).toBe(false);
    c.set("c", 3);
    expect(c.get("c")).toBe(3);
  });

  it("keeps every entry while under capacity, for number, string and object keys", () => {
    const c = new TinyLfu<unknown, number>({ maximumSize: 300 });
    const objects = range(0, 100).map((i) => ({ i }));
    for (let i = 0; i < 100; i++) c.set(i, i).set(`k${i}`, i).set(objects[i], i);
    expect(c.size).toBe(300);
    for (let i = 0; i < 100; i++) {
      expect(c.get(i)).toBe(i);
      expect(c.get(`k${i}`)).toBe(i);
      expect(c.get(objects[i])).toBe(i);
    }
  });

  it("rejects a bad maximumSize", () => {
    expect(() => new TinyLfu({ maximumSize: 0 })).toThrow(RangeError);
    expect(() => new TinyLfu({ maximumSize: 1.5 })).toThrow(RangeError);
  });

  it("never exceeds capacity and never returns a stale value (100k random operations per size)", () => {
    for (const maximumSize of [1, 2, 3, 10, 100, 1000]) {
      const random = prng(maximumSize);
      const c = new TinyLfu<number, number>({ maximumSize });
      const model = new Map<number, number>(); // the last value set per live key
      const keySpace = maximumSize * 4 + 5;
      const problems: string[] = []; // plain checks: 600k expect() calls would take seconds
      let maxSize = 0;
      let hits = 0;
      for (let op = 0; op < 100_000; op++) {
        const key = Math.floor(random() * random() * keySpace); // skewed, so some keys get popular
        const r = random();
        if (r < 0.5) {
          const got = c.get(key);
          if (got !== undefined && got !== model.get(key)) problems.push(`op ${op}: get(${key}) = ${got}`);
          if (got !== undefined) hits++;
        } else if (r < 0.85) {
          c.set(key, op);
          model.set(key, op);
        } else if (r < 0.95) {
          const present = c.has(key);
          if (c.delete(key) !== present || c.has(key)) problems.push(`op ${op}: delete(${key})`);
          model.delete(key);
        } else if (c.has(key) && !model.has(key)) problems.push(`op ${op}: has(${key}) after delete`);
        maxSize = Math.max(maxSize, c.size);
      }
      expect(problems.slice(0, 5)).toEqual([]);
      expect(maxSize).toBe(maximumSize);
      expect(hits).toBeGreaterThan(0);
      let live = 0;
      for (let k = 0; k < keySpace; k++) if (c.has(k)) live++;
      expect(live).toBe(c.size);
    }
  });
});

describe("TinyLfu TTL", () => {
  it("expires entries by the injected clock; an expired get is a miss and removes the entry", () => {
    let now = 1_000;
    const c = new TinyLfu<string, string>({ maximumSize: 10, ttlMs: 100, now: () => now });
    c.set("default", "d");
    c.set("long", "l", { ttlMs: 1_000 });
    c.set("forever", "f", { ttlMs: 0 });
    now += 99;
    expect(c.get("default")).toBe("d");
    now += 1;
    expect(c.has("long")).toBe(true);
    expect(c.size).toBe(3);
    expect(c.get("default")).toBeUndefined();
    expect(c.size).toBe(2);
    expect(c.stats).toEqual({ hits: 1, misses: 1, evictions: 0 });
    now += 900;
    expect(c.has("long")).toBe(false);
    expect(c.delete("long")).toBe(false);
    now += 1e9;
    expect(c.get("forever")).toBe("f");
    c.set("forever", "f2", { ttlMs: 5 }); // replacing resets the TTL
    now += 5;
    expect(c.get("forever")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it("evicts an expired entry before a live one when full", () => {
    let now = 0;
    const c = new TinyLfu<number, number>({ maximumSize: 3, now: () => now });
    c.set(1, 1, { ttlMs: 10 });
    for (let i = 0; i < 20; i++) c.get(2) ?? c.set(2, 2); // popular
    c.set(3, 3);
    now = 50;
    c.set(4, 4);
    expect(c.size).toBe(3);
    expect([c.has(2), c.has(3), c.has(4)]).toEqual([true, true, true]);
    expect(c.stats.evictions).toBe(0); // removing an expired entry is an expiry, not an eviction
  });
});

describe("TinyLfu stats", () => {
  it("counts hits, misses and evictions; has() counts nothing", () => {
    const c = new TinyLfu<number, number>({ maximumSize: 5 });
    for (let i = 0; i < 5; i++) c.set(i, i);
    expect(c.get(0)).toBe(0);
    expect(c.get(1)).toBe(1);
    expect(c.get(99)).toBeUndefined();
    c.has(2);
    c.has(100);
    expect(c.stats).toEqual({ hits: 2, misses: 1, evictions: 0 });
    for (let i = 5; i < 12; i++) c.set(i, i);
    expect(c.size).toBe(5);
    expect(c.stats.evictions).toBe(7);
  });
});

describe("TinyLfu has()", () => {
  it("doesn't count as a request: a newcomer probed by has() still loses admission", () => {
    const outcome = (probe: (c: TinyLfu<number, number>, k: number) => unknown) => {
      const c = new TinyLfu<number, number>({ maximumSize: 10 });
      for (let round = 0; round < 2; round++) replay(c, range(0, 9)); // 9 keys requested twice fill it
      replay(c, [100]); // requested once
      for (let i = 0; i < 20; i++) probe(c, 100);
      replay(c, [101]); // pushes 100 out of the window: it duels a key requested twice
      return c.has(100);
    };
    expect(outcome((c, k) => c.has(k))).toBe(false);
    expect(outcome((c, k) => c.get(k))).toBe(true); // control: real requests do win it admission
  });
});

describe("TinyLfu admission and aging", () => {
  const capacity = 100;

  it("a one-off scan of 10× capacity doesn't evict the popular keys (an LRU of the same size loses them all)", () => {
    const popular = range(0, 50);
    const scan = range(1_000_000, capacity * 10);
    const tiny = new TinyLfu<number, number>({ maximumSize: capacity });
    const lru = new LRUCache<number, number>({ max: capacity });
    for (let round = 0; round < 10; round++) {
      replay(tiny, popular);
      replay(lru, popular);
    }
    replay(tiny, scan);
    replay(lru, scan);
    expect(popular.filter((k) => tiny.has(k))).toEqual(popular);
    expect(popular.filter((k) => lru.has(k))).toEqual([]);
    expect(replay(tiny, popular)).toBe(popular.length);
  });

  it("a hit in probation promotes to protected, where newcomers that beat probation can't reach it", () => {
    const c = new TinyLfu<number, number>({ maximumSize: capacity }); // window 1, probation 20, protected 79
    replay(c, range(0, capacity - 1)); // 99 keys seen once fill the main space's probation segment
    const kept = range(0, 79);
    replay(c, kept); // second request: promoted to protected
    // 60 newcomers seen 3 times each outrank the 20 unprotected keys (seen once), then tie with each other;
    // in a plain LRU main space they'd also outrank the kept keys (seen twice) and evict 40 of them.
    for (const k of range(5_000, 60)) replay(c, [k, k, k]);
    expect(kept.filter((k) => c.has(k))).toEqual(kept);
    expect(range(79, 20).filter((k) => c.has(k))).toEqual([]);
  });

  it("ages out a formerly popular set once it stops being requested", () => {
    const oldSet = range(0, 80);
    const newSet = range(10_000, 80);
    const c = new TinyLfu<number, number>({ maximumSize: capacity });
    for (let round = 0; round < 100; round++) replay(c, oldSet); // counters saturate at 15
    expect(oldSet.every((k) => c.has(k))).toBe(true);
    let lastRoundHits = 0;
    for (let round = 0; round < 100; round++) lastRoundHits = replay(c, newSet);
    expect(lastRoundHits).toBe(newSet.length);
    expect(oldSet.filter((k) => c.has(k)).length).toBeLessThanOrEqual(capacity - newSet.length);
  });

  it("beats or matches lru-cache's hit ratio on a Zipf(1.0) trace at equal capacity", () => {
    const next = zipf(50_000, 1.0, prng(42));
    const trace = Array.from({ length: 200_000 }, next);
    const tinyHits = replay(new TinyLfu<number, number>({ maximumSize: 500 }), trace);
    const lruHits = replay(new LRUCache<number, number>({ max: 500 }), trace);
    expect(tinyHits).toBeGreaterThanOrEqual(lruHits);
  });
});
