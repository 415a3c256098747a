/**
 * ISO 4217 currencies as the runtime's ICU knows them (Intl): no hand-kept list.
 * Minor-unit exponent (USD 2, JPY 0, BHD 3) also comes from ICU.
 */
const CODES = new Set(Intl.supportedValuesOf("currency"));

export function isCurrency(code: string): boolean {
  return CODES.has(code);
}

export function minorUnitExponent(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Format integer minor units for display, e.g. (123456, "USD") → "$1,234.56". */
export function formatMoney(amountMinor: number, currency: string, locale = "en-US"): string {
  const exp = minorUnitExponent(currency);
  return new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: exp }).format(
    amountMinor / 10 ** exp,
  );
}

/** Parse a decimal string typed by a person ("12.50") into integer minor units, or undefined. */
export function parseMajorAmount(input: string, currency: string): number | undefined {
  const exp = minorUnitExponent(currency);
  const m = /^\s*(\d{1,13})(?:[.,](\d*))?\s*$/.exec(input);
  if (!m) return undefined;
  const frac = m[2] ?? "";
  if (frac.length > exp) return undefined;
  return Number(m[1]) * 10 ** exp + Number(frac.padEnd(exp, "0") || "0");
}
