import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_GOAL_MINOR } from "@/lib/campaigns/schemas";
import { appExponent, chargeableCurrencies, formatMoney } from "./currency";
import { amountExample, parseAmountInput } from "./input";

const amount = (text: string, currency: string) => {
  const r = parseAmountInput(text, currency);
  return r.ok ? r.amount : r.code;
};

const currencies = chargeableCurrencies();

describe("parseAmountInput", () => {
  it("reads thousands separators the way the app prints amounts (issue 19, finding 4)", () => {
    expect(amount("12,000", "USD")).toBe(1_200_000);
    expect(amount("12,000.50", "USD")).toBe(1_200_050);
    expect(amount("1,500", "JPY")).toBe(1500);
    expect(amount("$12,000.00", "USD")).toBe(1_200_000);
    expect(amount("¥1,500", "JPY")).toBe(1500);
    expect(amount("1,000,000", "USD")).toBe(100_000_000);
    expect(amount("KWD 1.500", "KWD")).toBe(1500);
    expect(amount("1,500.250", "KWD")).toBe(1_500_250);
  });

  it("reads decimals, spaces, symbols and codes, before or after the number", () => {
    expect(amount("12.5", "USD")).toBe(1250);
    expect(amount("12.50", "USD")).toBe(1250);
    expect(amount("0.1", "USD")).toBe(10);
    expect(amount(".5", "USD")).toBe(50);
    expect(amount("12.", "USD")).toBe(1200);
    expect(amount("500", "USD")).toBe(50_000);
    expect(amount("  25  ", "USD")).toBe(2500);
    expect(amount("$ 25", "USD")).toBe(2500);
    expect(amount("25 USD", "USD")).toBe(2500);
    expect(amount("usd 25", "USD")).toBe(2500);
    expect(amount("12 000", "EUR")).toBe(1_200_000);
    expect(amount("12\u00a0000,50", "EUR")).toBe(1_200_050);
    expect(amount("12\u202f000", "EUR")).toBe(1_200_000);
    expect(amount("0,5", "EUR")).toBe(50);
    expect(amount("12,50 €", "EUR")).toBe(1250);
    expect(amount("1.234,56", "EUR")).toBe(123_456);
    expect(amount("1.000.000", "EUR")).toBe(100_000_000);
    expect(amount("1000", "JPY")).toBe(1000);
    expect(amount("¥1,500.00", "JPY")).toBe(1500);
    expect(amount("12.500", "KWD")).toBe(12_500);
    expect(amount("0", "USD")).toBe(0);
  });

  it("refuses garbled input with AMOUNT_INVALID", () => {
    for (const text of [
      "abc",
      "-5",
      "12a",
      "1e3",
      "€12",
      "$12",
      "1,2,3",
      "12,0000,000",
      "1.000,000.5",
      "1 2",
      "12..5",
      ".",
      ",",
      "0x10",
      "Infinity",
      "NaN",
      "1'000",
    ]) {
      expect.soft(amount(text, text === "$12" ? "EUR" : "USD"), text).toBe("AMOUNT_INVALID");
    }
  });

  it("refuses one separator before three digits where both readings fit the currency (AMOUNT_AMBIGUOUS)", () => {
    expect(amount("1.500", "USD")).toBe("AMOUNT_AMBIGUOUS"); // 1500 in European writing, or a mistyped 1.50
    expect(amount("1.500", "JPY")).toBe("AMOUNT_AMBIGUOUS");
    expect(amount("1,500", "KWD")).toBe("AMOUNT_AMBIGUOUS"); // 1500 dinars or 1.500
  });

  it("refuses more decimals than the currency has (AMOUNT_TOO_PRECISE), with an example in that currency", () => {
    const yen = parseAmountInput("10.5", "JPY");
    expect(yen).toMatchObject({ ok: false, code: "AMOUNT_TOO_PRECISE" });
    expect(!yen.ok && yen.message).toContain("1500");
    expect(!yen.ok && yen.message).not.toContain("12.50");
    expect(amount("12,50", "JPY")).toBe("AMOUNT_TOO_PRECISE");
    expect(amount("1.2345", "USD")).toBe("AMOUNT_TOO_PRECISE");
    expect(amount("12.5", "USD")).toBe(1250);
  });

  it("names what is missing, too large, or no currency", () => {
    expect(amount("", "USD")).toBe("AMOUNT_REQUIRED");
    expect(amount(" \u00a0", "USD")).toBe("AMOUNT_REQUIRED");
    expect(amount("9".repeat(16), "JPY")).toBe("AMOUNT_TOO_MANY_DIGITS");
    expect(amount("9".repeat(15), "JPY")).toBe(999_999_999_999_999);
    for (const c of ["", " ", "\u0000", "US", "U S D", "\ud800\ud800\ud800", "x".repeat(1000)]) {
      expect(amount("10", c)).toBe("CURRENCY_UNKNOWN");
    }
  });

  it("gives examples in the currency's own digits", () => {
    expect(amountExample("USD")).toBe("12.50");
    expect(amountExample("JPY")).toBe("1500");
    expect(amountExample("KWD")).toBe("12.500");
    for (const c of currencies) expect(amount(amountExample(c), c), c).toBeTypeOf("number");
    const usd = parseAmountInput("abc", "USD");
    expect(!usd.ok && usd.message).toBe("must be a number such as 12.50 (at most 2 decimals)");
  });

  it("reads back every amount formatMoney prints, in every chargeable currency", () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.integer({ min: 0, max: MAX_GOAL_MINOR }), (currency, minor) => {
        expect(parseAmountInput(formatMoney(minor, currency), currency)).toEqual({ ok: true, amount: minor });
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back plain decimals and space-grouped amounts in every chargeable currency", () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.integer({ min: 0, max: MAX_GOAL_MINOR }), (currency, minor) => {
        const exp = appExponent(currency);
        const digits = String(minor).padStart(exp + 1, "0");
        const plain = exp === 0 ? digits : `${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
        expect(parseAmountInput(plain, currency)).toEqual({ ok: true, amount: minor });
        const spaced = formatMoney(minor, currency).replaceAll(",", " ");
        expect(parseAmountInput(spaced, currency)).toEqual({ ok: true, amount: minor });
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws, and answers a safe non-negative integer or a code with a message", () => {
    const typed = fc.stringMatching(/^[\d.,\s$€¥a-z-]{0,24}$/);
    fc.assert(
      fc.property(fc.oneof(typed, fc.string()), fc.constantFrom(...currencies, "", "XYZ"), (text, currency) => {
        const r = parseAmountInput(text, currency);
        if (r.ok) expect(Number.isSafeInteger(r.amount) && r.amount >= 0).toBe(true);
        else expect(r.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 5000 },
    );
  });
});
