import { describe, expect, it } from "vitest";
import { shouldTouch } from "./tokens";

describe("shouldTouch", () => {
  it("lets a token's last_used_at be written once a minute per process, each token on its own", () => {
    const t0 = 1_000_000_000;
    expect(shouldTouch("tok-a", t0)).toBe(true);
    expect(shouldTouch("tok-a", t0 + 1)).toBe(false);
    expect(shouldTouch("tok-b", t0 + 1)).toBe(true);
    expect(shouldTouch("tok-a", t0 + 59_999)).toBe(false);
    expect(shouldTouch("tok-a", t0 + 60_000)).toBe(true);
    expect(shouldTouch("tok-a", t0 + 60_001)).toBe(false);
  });
});
