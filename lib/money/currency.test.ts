import { describe, expect, it } from "vitest";
import { formatMoney, isCurrency, minorUnitExponent, parseMajorAmount } from "./currency";

describe("currency", () => {
  it("knows ISO 4217 codes", () => {
    expect(isCurrency("USD")).toBe(true);
    expect(isCurrency("JPY")).toBe(true);
    expect(isCurrency("XYZ")).toBe(false);
    expect(isCurrency("usd")).toBe(false);
  });

  it("knows minor-unit exponents", () => {
    expect(minorUnitExponent("USD")).toBe(2);
    expect(minorUnitExponent("JPY")).toBe(0);
    expect(minorUnitExponent("BHD")).toBe(3);
  });

  it("parses amounts typed by people into integer minor units", () => {
    expect(parseMajorAmount("12.50", "USD")).toBe(1250);
    expect(parseMajorAmount("500", "USD")).toBe(50000);
    expect(parseMajorAmount("0,5", "EUR")).toBe(50);
    expect(parseMajorAmount("1000", "JPY")).toBe(1000);
    expect(parseMajorAmount("10.5", "JPY")).toBeUndefined();
    expect(parseMajorAmount("1.234", "USD")).toBeUndefined();
    expect(parseMajorAmount("-5", "USD")).toBeUndefined();
    expect(parseMajorAmount("abc", "USD")).toBeUndefined();
    expect(parseMajorAmount("0.1", "USD")).toBe(10);
  });

  it("formats minor units without floating-point drift", () => {
    expect(formatMoney(123456, "USD")).toBe("$1,234.56");
    expect(formatMoney(1000, "JPY")).toBe("¥1,000");
  });
});
