import { describe, expect, it } from "vitest";
import { transferRefusal } from "./guard";

const stripe = { provider: "stripe", amount: 4750 };
const facts = { entryProvider: "stripe", collected: 4750, otherPayouts: 0 };

describe("transferRefusal", () => {
  it("lets a payout through when it, its entry and the money are the sending provider's", () => {
    expect(transferRefusal(stripe, facts, "stripe")).toBeNull();
    expect(transferRefusal(stripe, { ...facts, collected: 10_000, otherPayouts: 5250 }, "stripe")).toBeNull();
  });

  it("refuses a payout made for another provider, or funded by another provider's entry", () => {
    expect(transferRefusal({ ...stripe, provider: "sandbox" }, facts, "stripe")).toBe("other_provider");
    expect(transferRefusal(stripe, { ...facts, entryProvider: "sandbox" }, "stripe")).toBe("entry_of_other_provider");
    expect(transferRefusal(stripe, { ...facts, entryProvider: null }, "stripe")).toBe("no_payout_entry");
  });

  it("refuses more than the provider ever collected for the campaign: sandbox money is never sent through Stripe", () => {
    // Only sandbox money on the campaign: Stripe collected nothing.
    expect(transferRefusal(stripe, { ...facts, collected: 0 }, "stripe")).toBe("more_than_collected");
    // Stripe collected 4750, of which 1000 was already paid: 4750 more would include other money.
    expect(transferRefusal(stripe, { ...facts, otherPayouts: 1000 }, "stripe")).toBe("more_than_collected");
  });
});
