import { describe, expect, it } from "vitest";
import type { PublicUser } from "@/lib/users";
import type { CampaignStatus } from "./schemas";
import {
  acceptsContributions,
  contentEditable,
  endOfDay,
  firstEndDate,
  movesFor,
  reasonProblem,
  reopenable,
  type StatusSubject,
} from "./status";

const alice: PublicUser = { id: "alice", name: "Alice", email: "alice@example.com", role: "user" };
const bob: PublicUser = { id: "bob", name: "Bob", email: "bob@example.com", role: "user" };
const carol: PublicUser = { id: "carol", name: "Carol", email: "carol@example.com", role: "admin" };
const now = new Date("2030-06-01T12:00:00Z");
const of = (status: CampaignStatus, creatorId = "alice", over: Partial<StatusSubject> = {}): StatusSubject => ({
  status,
  creatorId,
  endsAt: null,
  endedBy: status === "ended" ? "creator" : null,
  closedForAbuse: false,
  ...over,
});

describe("movesFor", () => {
  it("lets a creator publish, end, and reopen what they ended", () => {
    expect(movesFor(of("draft"), alice, now)).toEqual(["active", "ended"]);
    expect(movesFor(of("active"), alice, now)).toEqual(["ended"]);
    expect(movesFor(of("ended"), alice, now)).toEqual(["active"]);
    expect(movesFor(of("suspended"), alice, now)).toEqual([]);
  });

  it("gives a creator no way back from an end they may not undo", () => {
    expect(movesFor(of("ended", "alice", { endedBy: "admin" }), alice, now)).toEqual([]);
    expect(movesFor(of("ended", "alice", { endsAt: "2030-06-01T11:59:59Z" }), alice, now)).toEqual([]);
    expect(movesFor(of("ended", "alice", { closedForAbuse: true }), alice, now)).toEqual([]);
  });

  it("lets an admin suspend, reinstate and end a suspended campaign", () => {
    expect(movesFor(of("draft"), carol, now)).toEqual(["suspended"]);
    expect(movesFor(of("active"), carol, now)).toEqual(["suspended"]);
    expect(movesFor(of("suspended"), carol, now)).toEqual(["active", "ended"]);
    expect(movesFor(of("ended"), carol, now)).toEqual([]);
  });

  it("gives an admin who created the campaign both sets, each move once", () => {
    expect(movesFor(of("draft", "carol"), carol, now)).toEqual(["active", "ended", "suspended"]);
    expect(movesFor(of("active", "carol"), carol, now)).toEqual(["ended", "suspended"]);
    expect(movesFor(of("suspended", "carol"), carol, now)).toEqual(["active", "ended"]);
    expect(movesFor(of("ended", "carol"), carol, now)).toEqual(["active"]);
    expect(movesFor(of("ended", "carol", { endedBy: "admin" }), carol, now)).toEqual([]);
  });

  it("gives nobody else any move", () => {
    for (const s of ["draft", "active", "ended", "suspended"] as const) {
      expect(movesFor(of(s), bob, now)).toEqual([]);
      expect(movesFor(of(s), undefined, now)).toEqual([]);
    }
  });
});

describe("reopenable", () => {
  it("reopens a campaign its creator ended while its end date is ahead, or when it has none", () => {
    expect(reopenable(of("ended"), now)).toBe(true);
    expect(reopenable(of("ended", "alice", { endsAt: "2030-06-01T12:00:01Z" }), now)).toBe(true);
  });

  it("never reopens from the end date on, after an admin's end or a close for abuse, nor what has not ended", () => {
    expect(reopenable(of("ended", "alice", { endsAt: "2030-06-01T12:00:00Z" }), now)).toBe(false);
    expect(reopenable(of("ended", "alice", { endedBy: "admin" }), now)).toBe(false);
    expect(reopenable(of("ended", "alice", { closedForAbuse: true }), now)).toBe(false);
    for (const s of ["draft", "active", "suspended"] as const) expect(reopenable(of(s), now)).toBe(false);
  });
});

describe("reasonProblem", () => {
  it("requires a reason to suspend, takes one to end, and refuses it otherwise", () => {
    expect(reasonProblem("suspended", undefined)).toMatch(/required/);
    expect(reasonProblem("suspended", "Reported as a scam")).toBeUndefined();
    expect(reasonProblem("ended", undefined)).toBeUndefined();
    expect(reasonProblem("ended", "We reached the goal elsewhere")).toBeUndefined();
    expect(reasonProblem("active", "Because")).toMatch(/only/);
    expect(reasonProblem(undefined, "Because")).toMatch(/only/);
    expect(reasonProblem("active", undefined)).toBeUndefined();
    expect(reasonProblem(undefined, undefined)).toBeUndefined();
  });
});

describe("acceptsContributions", () => {
  it("takes money while active and before its end date", () => {
    expect(acceptsContributions({ status: "active", endsAt: null }, now)).toBe(true);
    expect(acceptsContributions({ status: "active", endsAt: "2030-06-01T12:00:01Z" }, now)).toBe(true);
  });

  it("refuses from its end date on, even while still marked active", () => {
    expect(acceptsContributions({ status: "active", endsAt: "2030-06-01T12:00:00Z" }, now)).toBe(false);
    expect(acceptsContributions({ status: "active", endsAt: "2030-05-01T00:00:00Z" }, now)).toBe(false);
  });

  it("refuses drafts, suspended and ended campaigns", () => {
    for (const status of ["draft", "suspended", "ended"] as const) {
      expect(acceptsContributions({ status, endsAt: null }, now)).toBe(false);
    }
  });
});

describe("contentEditable", () => {
  it("allows edits to drafts and active campaigns, not while suspended nor once ended", () => {
    expect(contentEditable("draft")).toBe(true);
    expect(contentEditable("active")).toBe(true);
    expect(contentEditable("suspended")).toBe(false);
    expect(contentEditable("ended")).toBe(false);
  });
});

describe("firstEndDate", () => {
  it("offers today while the end of today is ahead, as the API's 'in the future' rule takes it", () => {
    expect(firstEndDate(new Date("2030-06-01T00:00:00Z"))).toBe("2030-06-01");
    expect(firstEndDate(new Date("2030-06-01T23:59:58.999Z"))).toBe("2030-06-01");
    expect(Date.parse(endOfDay("2030-06-01"))).toBeGreaterThan(Date.parse("2030-06-01T23:59:58.999Z"));
  });

  it("offers tomorrow from the last second of today on", () => {
    expect(firstEndDate(new Date("2030-06-01T23:59:59Z"))).toBe("2030-06-02");
    expect(firstEndDate(new Date("2030-12-31T23:59:59.500Z"))).toBe("2031-01-01");
  });
});
