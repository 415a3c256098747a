import { describe, expect, it } from "vitest";
import type { PublicUser } from "@/lib/users";
import type { CampaignStatus } from "./schemas";
import { acceptsContributions, contentEditable, movesFor } from "./status";

const alice: PublicUser = { id: "alice", name: "Alice", email: "alice@example.com", role: "user" };
const bob: PublicUser = { id: "bob", name: "Bob", email: "bob@example.com", role: "user" };
const carol: PublicUser = { id: "carol", name: "Carol", email: "carol@example.com", role: "admin" };
const of = (status: CampaignStatus, creatorId = "alice") => ({ status, creatorId });

describe("movesFor", () => {
  it("lets a creator publish and end, never go back", () => {
    expect(movesFor(of("draft"), alice)).toEqual(["active", "ended"]);
    expect(movesFor(of("active"), alice)).toEqual(["ended"]);
    expect(movesFor(of("ended"), alice)).toEqual([]);
    expect(movesFor(of("suspended"), alice)).toEqual([]);
  });

  it("lets an admin suspend, reinstate and end a suspended campaign", () => {
    expect(movesFor(of("draft"), carol)).toEqual(["suspended"]);
    expect(movesFor(of("active"), carol)).toEqual(["suspended"]);
    expect(movesFor(of("suspended"), carol)).toEqual(["active", "ended"]);
    expect(movesFor(of("ended"), carol)).toEqual([]);
  });

  it("gives an admin who created the campaign both sets, each move once", () => {
    expect(movesFor(of("draft", "carol"), carol)).toEqual(["active", "ended", "suspended"]);
    expect(movesFor(of("active", "carol"), carol)).toEqual(["ended", "suspended"]);
    expect(movesFor(of("suspended", "carol"), carol)).toEqual(["active", "ended"]);
  });

  it("gives nobody else any move", () => {
    for (const s of ["draft", "active", "ended", "suspended"] as const) {
      expect(movesFor(of(s), bob)).toEqual([]);
      expect(movesFor(of(s), undefined)).toEqual([]);
    }
  });
});

describe("acceptsContributions", () => {
  const now = new Date("2030-06-01T12:00:00Z");

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
  it("allows edits until the campaign has ended", () => {
    expect(contentEditable("draft")).toBe(true);
    expect(contentEditable("active")).toBe(true);
    expect(contentEditable("suspended")).toBe(true);
    expect(contentEditable("ended")).toBe(false);
  });
});
