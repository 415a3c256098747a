import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { describeFee, describePayoutMinimum, percentOf, percentText, statusText } from "./format";

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

const now = new Date("2030-06-01T12:00:00Z");
const base: Pick<CampaignDto, "status" | "endsAt" | "endedAt" | "createdAt"> = {
  status: "active",
  endsAt: "2030-06-20T23:59:59Z",
  endedAt: null,
  createdAt: "2030-05-01T09:00:00Z",
};

describe("statusText", () => {
  it("counts the days left of an open campaign and invites the first contribution", () => {
    expect(statusText(base, now)).toEqual({
      timeLeft: "19 days left",
      since: "started May 1, 2030",
      ends: "Ends Jun 20, 2030",
      noContributions: "No contributions yet — be the first.",
    });
    expect(statusText({ ...base, endsAt: "2030-06-02T11:00:00Z" }, now).timeLeft).toBe("Ends today");
    expect(statusText({ ...base, endsAt: "2030-06-02T13:00:00Z" }, now).timeLeft).toBe("1 day left");
    expect(statusText({ ...base, endsAt: null }, now)).toMatchObject({ timeLeft: "No end date", ends: null });
  });

  it("never calls a draft started, nor invites contributions it cannot take", () => {
    expect(statusText({ ...base, status: "draft" }, now)).toEqual({
      timeLeft: "Not published yet",
      since: "draft created May 1, 2030",
      ends: "Ends Jun 20, 2030",
      noContributions: "No contributions yet: giving opens once the campaign is published.",
    });
  });

  it("says giving is paused while suspended, whatever its end date", () => {
    const t = statusText({ ...base, status: "suspended", endsAt: "2030-06-01T20:00:00Z" }, now);
    expect(t).toEqual({
      timeLeft: "Giving paused",
      since: "started May 1, 2030",
      ends: null,
      noContributions: "No contributions yet: giving is paused.",
    });
  });

  it("keeps an ended campaign's end date: when it was ended, else when it was to end", () => {
    expect(statusText({ ...base, status: "ended", endedAt: "2030-05-20T08:00:00Z" }, now)).toEqual({
      timeLeft: "Ended",
      since: "started May 1, 2030",
      ends: "Ended May 20, 2030",
      noContributions: "No contributions were made.",
    });
    expect(statusText({ ...base, status: "ended" }, now).ends).toBe("Ended Jun 20, 2030");
    // past its end date while still marked active: ended on that date
    expect(statusText({ ...base, endsAt: "2030-05-31T23:59:59Z" }, now)).toMatchObject({
      timeLeft: "Ended",
      ends: "Ended May 31, 2030",
      noContributions: "No contributions were made.",
    });
  });
});
