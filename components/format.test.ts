import { describe, expect, it } from "vitest";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { statusText } from "./format";

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
