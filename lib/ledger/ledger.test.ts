import { describe, expect, it } from "vitest";
import { platformFee } from "./index";

describe("platformFee", () => {
  it("takes basis points of integer minor units, rounding down", () => {
    expect(platformFee(10_000, 0)).toBe(0);
    expect(platformFee(10_000, 250)).toBe(250);
    expect(platformFee(999, 250)).toBe(24);
    expect(platformFee(1, 5000)).toBe(0);
  });
});
