import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeFee, describePayoutMinimum, percentOf, percentText } from "./format";

describe("percentOf and percentText (issue 19, finding 9)", () => {
  it("shows a gift far below 1% of the goal as <1%, not 0%", () => {
    expect(percentOf(9750, 1_200_000)).toBe(0);
    expect(percentText(9750, 1_200_000)).toBe("<1%");
    expect(percentText(1, 1_000_000_000_000)).toBe("<1%");
    expect(percentText(0, 1_200_000)).toBe("0%");
    expect(percentText(-500, 1_200_000)).toBe("0%"); // net of refunds and lost disputes
    expect(percentText(12_000, 1_200_000)).toBe("1%");
  });

  it("rounds down and never shows 100% before the goal is reached; caps above it", () => {
    expect(percentText(1_199_999, 1_200_000)).toBe("99%");
    expect(percentText(1_200_000, 1_200_000)).toBe("100%");
    expect(percentText(5_000_000, 1_200_000)).toBe("100%");
    expect(percentText(50, 0)).toBe("0%");
  });

  it("holds for any amounts", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 1, max: 1e12 }), (collected, goal) => {
        const pct = percentOf(collected, goal);
        expect(pct === 100).toBe(collected >= goal);
        expect(percentText(collected, goal) === "0%").toBe(collected === 0);
        if (collected < goal) expect(pct).toBeLessThanOrEqual((collected * 100) / goal);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("describeFee and describePayoutMinimum (issue 19, finding 12)", () => {
  it("says the fee as a percentage, or that there is none", () => {
    expect(describeFee(0)).toBe("no platform fee");
    expect(describeFee(250)).toBe("a 2.5 % platform fee");
    expect(describeFee(100)).toBe("a 1 % platform fee");
    expect(describeFee(5)).toBe("a 0.05 % platform fee");
  });

  it("says the payout minimum in money of three currencies, never in minor units", () => {
    expect(describePayoutMinimum(100)).toBe("$1.00 for a campaign in US dollars, €1.00 in euros, ¥100 in yen");
    expect(describePayoutMinimum(2500)).toBe("$25.00 for a campaign in US dollars, €25.00 in euros, ¥2,500 in yen");
  });
});
