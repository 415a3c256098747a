import { describe, expect, it } from "vitest";
import { createCampaignSchema, pageCursor, updateCampaignSchema } from "./schemas";

describe("campaign schemas", () => {
  const ok = { title: "Books for the school", story: "We need books.", goalAmount: 100_00, currency: "EUR" };

  it("accepts a valid campaign and defaults to active", () => {
    expect(createCampaignSchema.parse(ok)).toMatchObject({ status: "active", title: "Books for the school" });
  });

  it("trims text and rejects unknown fields", () => {
    expect(createCampaignSchema.parse({ ...ok, title: "  Trimmed  " }).title).toBe("Trimmed");
    expect(createCampaignSchema.safeParse({ ...ok, creatorId: "x" }).success).toBe(false);
  });

  it("accepts an end date in the future only", () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect(createCampaignSchema.safeParse({ ...ok, endsAt: future }).success).toBe(true);
    expect(createCampaignSchema.safeParse({ ...ok, endsAt: "2001-01-01T00:00:00Z" }).success).toBe(false);
    expect(createCampaignSchema.safeParse({ ...ok, endsAt: "2999-01-01T00:00:00Z" }).success).toBe(false);
  });

  it("requires at least one field in an update", () => {
    expect(updateCampaignSchema.safeParse({}).success).toBe(false);
    expect(updateCampaignSchema.safeParse({ title: "New title" }).success).toBe(true);
  });
});

describe("pageCursor", () => {
  it("keeps a UUID cursor, the first of repeated ones, and drops anything else", () => {
    const id = "0196f3a0-1c2b-7d3e-8f40-5a6b7c8d9e0f";
    expect(pageCursor(id)).toBe(id);
    expect(pageCursor([id, "x"])).toBe(id);
    expect(pageCursor(undefined)).toBeUndefined();
    expect(pageCursor("")).toBeUndefined();
    expect(pageCursor("1; drop table campaigns")).toBeUndefined();
  });
});
