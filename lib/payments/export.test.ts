import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decimalAmount, neutralizeFormula } from "./export";

describe("decimalAmount", () => {
  it("places the currency's decimal point in the minor units, without rounding", () => {
    expect(decimalAmount(1250, "USD")).toBe("12.50");
    expect(decimalAmount(5, "USD")).toBe("0.05");
    expect(decimalAmount(0, "EUR")).toBe("0.00");
    expect(decimalAmount(1250, "JPY")).toBe("1250");
    expect(decimalAmount(1234, "KWD")).toBe("1.234");
    expect(decimalAmount(Number.MAX_SAFE_INTEGER, "USD")).toBe("90071992547409.91");
  });

  it("reads back to the same minor units for any amount", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom("USD", "JPY", "KWD"), (minor, cur) => {
        expect(BigInt(decimalAmount(minor, cur).replace(".", ""))).toBe(BigInt(minor));
      }),
    );
  });
});

describe("neutralizeFormula", () => {
  it("prefixes what a spreadsheet would run as a formula, and leaves the rest as written", () => {
    for (const f of ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]) expect(neutralizeFormula(f)).toBe(`'${f}`);
    for (const ok of ["Alice", "", "a=b", "100 %", "'quoted"]) expect(neutralizeFormula(ok)).toBe(ok);
  });
});
