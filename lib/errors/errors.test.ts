import { describe, expect, it } from "vitest";
import { AppError, brand } from "./index";

describe("brand", () => {
  it("makes instanceof hold for an error made by another copy of the module", () => {
    // What a second bundle's copy of lib/errors defines: the same class, a different prototype.
    class OtherCopy extends Error {
      constructor(readonly code: string) {
        super("from another bundle");
      }
    }
    brand(OtherCopy, "AppError");
    expect(new OtherCopy("CAMPAIGN_NOT_FOUND")).toBeInstanceOf(AppError);
    expect(new AppError("CAMPAIGN_NOT_FOUND", "x")).toBeInstanceOf(AppError);
  });

  it("does not match other errors or plain objects", () => {
    expect(new Error("x") instanceof AppError).toBe(false);
    expect({ code: "CAMPAIGN_NOT_FOUND" } instanceof AppError).toBe(false);
    expect((null as unknown) instanceof AppError).toBe(false);
  });
});
