import { describe, expect, it } from "vitest";
import { verifiedPrimaryEmail } from "./github";

describe("verifiedPrimaryEmail", () => {
  it("is the primary address only when GitHub verified it", () => {
    expect(
      verifiedPrimaryEmail([
        { email: "other@example.org", primary: false, verified: true },
        { email: "me@example.org", primary: true, verified: true },
      ]),
    ).toBe("me@example.org");
    // An unverified primary is refused even when another address is verified: we never pick a non-primary one.
    expect(
      verifiedPrimaryEmail([
        { email: "victim@example.com", primary: true, verified: false },
        { email: "me@example.org", primary: false, verified: true },
      ]),
    ).toBeNull();
    expect(verifiedPrimaryEmail([])).toBeNull();
    expect(verifiedPrimaryEmail({ message: "Bad credentials" })).toBeNull();
    expect(verifiedPrimaryEmail([{ email: "x@example.org", primary: true, verified: "true" }])).toBeNull();
  });
});
