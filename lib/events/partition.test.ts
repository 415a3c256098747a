import { describe, expect, it } from "vitest";
import { partitionOf } from "./partition";

describe("partitionOf", () => {
  it("is stable and within range", () => {
    const id = "01900000-0000-7000-8000-000000000001";
    expect(partitionOf(id, 16)).toBe(partitionOf(id, 16));
    for (let i = 0; i < 200; i++) {
      const p = partitionOf(`key-${i}`, 16);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(16);
    }
  });

  it("spreads keys over the partitions", () => {
    const seen = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(`campaign-${i}`, 16)));
    expect(seen.size).toBe(16);
  });
});
