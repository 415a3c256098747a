import { describe, expect, it } from "vitest";
import {
  appExponent,
  CurrencyUnitError,
  chargeableCurrencies,
  chargeLimits,
  chargeProblem,
  formatMoney,
  fromProviderAmount,
  fromProviderAmountRounded,
  isChargeable,
  isCurrency,
  payoutDivisor,
  providerExponent,
  toProviderAmount,
} from "./currency";

describe("currency", () => {
  it("knows ISO 4217 codes", () => {
    expect(isCurrency("USD")).toBe(true);
    expect(isCurrency("JPY")).toBe(true);
    expect(isCurrency("XYZ")).toBe(false);
    expect(isCurrency("usd")).toBe(false);
  });

  it("knows minor-unit exponents", () => {
    expect(appExponent("USD")).toBe(2);
    expect(appExponent("JPY")).toBe(0);
    expect(appExponent("BHD")).toBe(3);
  });

  it("formats minor units without floating-point drift", () => {
    expect(formatMoney(123456, "USD")).toBe("$1,234.56");
    expect(formatMoney(1000, "JPY")).toBe("¥1,000");
  });
});

/**
 * Every code whose ICU digits (the app unit) and Stripe's exponent differ, with what the app now does: the scale
 * between the two units, or "not chargeable". Written out by hand so a change of ICU or of the Stripe data shows here.
 */
const DIFFERING: Record<string, { icu: number; stripe: number | "not chargeable" }> = {
  AFN: { icu: 0, stripe: 2 },
  ALL: { icu: 0, stripe: 2 },
  COP: { icu: 0, stripe: 2 },
  HUF: { icu: 0, stripe: 2 },
  IDR: { icu: 0, stripe: 2 },
  IQD: { icu: 0, stripe: "not chargeable" },
  IRR: { icu: 0, stripe: "not chargeable" },
  ISK: { icu: 0, stripe: 2 },
  KPW: { icu: 0, stripe: "not chargeable" },
  LAK: { icu: 0, stripe: 2 },
  LBP: { icu: 0, stripe: 2 },
  LYD: { icu: 3, stripe: "not chargeable" },
  MMK: { icu: 0, stripe: 2 },
  PKR: { icu: 0, stripe: 2 },
  SLL: { icu: 0, stripe: 2 },
  SOS: { icu: 0, stripe: 2 },
  SYP: { icu: 0, stripe: "not chargeable" },
  YER: { icu: 0, stripe: 2 },
};

describe("app units and provider units", () => {
  it("keeps the app exponent = ICU's for every code (stored amounts keep their meaning)", () => {
    for (const c of Intl.supportedValuesOf("currency")) {
      const icu = new Intl.NumberFormat("en", { style: "currency", currency: c }).resolvedOptions().maximumFractionDigits;
      expect(appExponent(c), c).toBe(icu);
    }
  });

  it("lists exactly the currencies whose ICU and Stripe units differ", () => {
    const found: Record<string, { icu: number; stripe: number | "not chargeable" }> = {};
    for (const c of Intl.supportedValuesOf("currency")) {
      const icu = appExponent(c);
      const pe = providerExponent(c);
      // Chargeable: the exponents differ. Not chargeable: ICU's digits differ from Stripe's default (2), i.e. the
      // code would have been sent unconverted had it been accepted (XDR and the like are 2 in ICU: only refused).
      if (pe === undefined ? icu !== 2 : pe !== icu) found[c] = { icu, stripe: pe ?? "not chargeable" };
    }
    expect(found).toEqual(DIFFERING);
  });

  it("converts both ways exactly, and refuses what has no exact equivalent", () => {
    expect(toProviderAmount(20_000, "HUF")).toBe(2_000_000);
    expect(fromProviderAmount(2_000_000, "HUF")).toBe(20_000);
    expect(() => fromProviderAmount(1050, "HUF")).toThrow(CurrencyUnitError);
    expect(toProviderAmount(1250, "USD")).toBe(1250);
    expect(toProviderAmount(500, "JPY")).toBe(500);
    expect(toProviderAmount(1005, "KWD")).toBe(1005);
    expect(toProviderAmount(5, "ISK")).toBe(500);
    expect(toProviderAmount(100_000, "IDR")).toBe(10_000_000);
    expect(() => toProviderAmount(100, "XDR")).toThrow(CurrencyUnitError);
    expect(() => toProviderAmount(100, "LYD")).toThrow(CurrencyUnitError);
    expect(() => toProviderAmount(1.5, "USD")).toThrow(CurrencyUnitError);
    expect(() => fromProviderAmount(Number.NaN, "USD")).toThrow(CurrencyUnitError);
    expect(fromProviderAmountRounded(1550, "HUF")).toBe(16);
    for (const c of chargeableCurrencies()) {
      for (const a of [1, 7, 50, 12_345]) expect(fromProviderAmount(toProviderAmount(a, c), c), c).toBe(a);
    }
  });

  it("offers only what the provider can charge", () => {
    const list = chargeableCurrencies();
    expect(list).toContain("USD");
    expect(list).toContain("HUF");
    expect(list).toContain("KWD");
    for (const c of ["XDR", "XAU", "XAG", "XTS", "XSU", "IRR", "KPW", "SYP", "IQD", "LYD", "ZZZ"]) {
      expect(isChargeable(c), c).toBe(false);
      expect(list).not.toContain(c);
    }
    expect([...list].sort()).toEqual(list);
  });

  it("gives Stripe's limits in app units", () => {
    expect(chargeLimits("USD")).toEqual({ min: 50, max: 99_999_999, step: 1 });
    expect(chargeLimits("HUF")).toEqual({ min: 175, max: 999_999, step: 1 }); // 175.00 Ft; was enforced as 17,500 Ft
    expect(chargeLimits("JPY")).toEqual({ min: 50, max: 99_999_999, step: 1 });
    expect(chargeLimits("KWD")).toEqual({ min: 50, max: 99_999_990, step: 10 });
    expect(chargeLimits("ISK")).toEqual({ min: 1, max: 999_999, step: 1 });
    expect(chargeLimits("IDR")).toEqual({ min: 1, max: 9_999_999_999, step: 1 });
    expect(chargeLimits("GBP").min).toBe(30);
    expect(payoutDivisor("HUF")).toBe(1);
    expect(payoutDivisor("TWD")).toBe(100);
    expect(payoutDivisor("ISK")).toBe(1);
    expect(payoutDivisor("KWD")).toBe(10);
    expect(payoutDivisor("USD")).toBe(1);
  });

  it("says why an amount cannot be charged", () => {
    expect(chargeProblem(1000, "USD")).toBeUndefined();
    expect(chargeProblem(20_000, "HUF")).toBeUndefined();
    expect(chargeProblem(1010, "KWD")).toBeUndefined();
    expect(chargeProblem(1005, "KWD")?.code).toBe("AMOUNT_NOT_DIVISIBLE");
    expect(chargeProblem(1005, "KWD")?.message).toMatch(/multiple of KWD\s?0\.010/);
    expect(chargeProblem(49, "USD")?.code).toBe("AMOUNT_TOO_SMALL");
    expect(chargeProblem(174, "HUF")?.code).toBe("AMOUNT_TOO_SMALL");
    expect(chargeProblem(100_000_000, "USD")?.code).toBe("AMOUNT_TOO_LARGE");
    expect(chargeProblem(1_000_000, "HUF")?.code).toBe("AMOUNT_TOO_LARGE");
    expect(chargeProblem(1000, "XDR")?.code).toBe("CURRENCY_NOT_SUPPORTED");
    expect(chargeProblem(1.5, "USD")?.code).toBe("AMOUNT_TOO_SMALL");
  });
});
