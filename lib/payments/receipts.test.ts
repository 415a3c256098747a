import { describe, expect, it } from "vitest";
import { type Receipt, receiptsCsv, receiptYear } from "./receipts";

const receipt = (over: Partial<Receipt>): Receipt => ({
  receiptNumber: 1,
  contributionId: "01a22dd9-b91c-7322-95c4-92002b797fc4",
  paidAt: "2026-03-01T10:00:00.000Z",
  donor: { name: "Erin", email: "erin@example.com" },
  campaign: { id: "01a22dd9-0000-7000-8000-000000000000", title: "Roof" },
  creator: { name: "Alice" },
  amount: 1000,
  currency: "USD",
  provider: "sandbox",
  providerReference: "pi_1",
  refunds: [],
  refundedAmount: 0,
  netAmount: 1000,
  ...over,
});

describe("receiptsCsv", () => {
  it("writes one line per receipt and a total per currency, never summing across currencies", () => {
    const csv = receiptsCsv(
      [
        receipt({ receiptNumber: 7, amount: 1050, refundedAmount: 50, netAmount: 1000 }),
        receipt({ receiptNumber: 9, amount: 1500, currency: "JPY", netAmount: 1500, providerReference: null }),
        receipt({ receiptNumber: 12, amount: 250, netAmount: 250, campaign: { id: "x", title: "Water, food" } }),
      ],
      "https://crowdfund.example/",
    );
    expect(csv.split("\r\n")).toEqual([
      "receipt_number,paid_at,campaign,creator,currency,amount,refunded,net_amount,payment_reference,receipt_url",
      "7,2026-03-01T10:00:00.000Z,Roof,Alice,USD,10.50,0.50,10.00,pi_1,https://crowdfund.example/contributions/01a22dd9-b91c-7322-95c4-92002b797fc4/receipt",
      "9,2026-03-01T10:00:00.000Z,Roof,Alice,JPY,1500,0,1500,,https://crowdfund.example/contributions/01a22dd9-b91c-7322-95c4-92002b797fc4/receipt",
      '12,2026-03-01T10:00:00.000Z,"Water, food",Alice,USD,2.50,0.00,2.50,pi_1,https://crowdfund.example/contributions/01a22dd9-b91c-7322-95c4-92002b797fc4/receipt',
      "total,,,,JPY,1500,0,1500,,",
      "total,,,,USD,13.00,0.50,12.50,,",
      "",
    ]);
  });

  it("neutralizes cells a spreadsheet would run as formulas, and is a header alone for an empty year", () => {
    const csv = receiptsCsv([receipt({ campaign: { id: "x", title: "=HYPERLINK(1)" }, creator: { name: "@me" } })], "http://h/");
    expect(csv).toContain(",'=HYPERLINK(1),'@me,");
    expect(receiptsCsv([], "http://h/").split("\r\n")).toHaveLength(2);
  });
});

describe("receiptYear", () => {
  it("takes a four-digit year from 2000 to next year and refuses anything else with VALIDATION_FAILED", () => {
    const next = new Date().getUTCFullYear() + 1;
    expect(receiptYear("2000")).toBe(2000);
    expect(receiptYear(String(next))).toBe(next);
    for (const bad of ["1999", String(next + 1), "26", "2026.0", "２０２６", ""]) {
      expect(() => receiptYear(bad), bad).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    }
  });
});
