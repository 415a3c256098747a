import { describe, expect, it } from "vitest";
import { accountHold, payoutHold } from "./hold";

const enabled = { payoutsEnabled: true };
const disabled = { payoutsEnabled: false };
const base = { due: 5000, minimum: 1000, campaignStatus: "active", account: enabled } as const;

describe("accountHold", () => {
  it("names a missing or not yet enabled account, and nothing for an enabled one", () => {
    expect(accountHold(null)).toBe("no_payout_account");
    expect(accountHold(disabled)).toBe("payouts_disabled");
    expect(accountHold(enabled)).toBeNull();
  });
});

describe("payoutHold", () => {
  it("pays an amount at or above the minimum to an enabled account, whether the campaign is active or ended", () => {
    expect(payoutHold(base)).toBeNull();
    expect(payoutHold({ ...base, due: 1000 })).toBeNull();
    expect(payoutHold({ ...base, campaignStatus: "ended" })).toBeNull();
  });

  it("holds each reason alone", () => {
    expect(payoutHold({ ...base, due: 999 })).toBe("below_minimum");
    expect(payoutHold({ ...base, campaignStatus: "suspended" })).toBe("campaign_suspended");
    expect(payoutHold({ ...base, account: null })).toBe("no_payout_account");
    expect(payoutHold({ ...base, account: disabled })).toBe("payouts_disabled");
  });

  it("gives the reason that outlasts the others: suspension, then the account, then the minimum", () => {
    expect(payoutHold({ ...base, due: 1, campaignStatus: "suspended", account: null })).toBe("campaign_suspended");
    expect(payoutHold({ ...base, due: 1, account: null })).toBe("no_payout_account");
    expect(payoutHold({ ...base, due: 1, account: disabled })).toBe("payouts_disabled");
  });
});
