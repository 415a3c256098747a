/**
 * Stripe's currency data, kept by hand from Stripe's documentation page "Supported currencies" (sections
 * "Supported presentment currencies", "Zero-decimal currencies", "Three-decimal currencies", "Special cases",
 * "Minimum and maximum charge amounts") and Stripe's support article "Deprecation of fractional ISK charges and
 * refunds". Codes upper case (ISO 4217). Read through lib/money/currency.ts, never directly.
 *
 * The sandbox provider imitates Stripe's test mode, so it charges the same currencies under the same rules.
 */

/**
 * "Supported presentment currencies" (card payments): every currency Stripe can charge in. Anything else (XDR,
 * XAU, XAG, XTS, …, and currencies Stripe does not list such as IRR, KPW, SYP, IQD, LYD) is not chargeable.
 * SLL is kept beside its successor SLE (Stripe listed SLL before the redenomination).
 */
// biome-ignore format: one code per cell, as the docs' table
export const STRIPE_PRESENTMENT = new Set([
  "USD", "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
  "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
  "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GIP", "GMD", "GNF",
  "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
  "KMF", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT",
  "MOP", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
  "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SEK", "SGD", "SHP",
  "SLE", "SLL", "SOS", "SRD", "STD", "SZL", "THB", "TJS", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX",
  "UYU", "UZS", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW",
]);

/** "Zero-decimal currencies": the API amount is the amount in whole units (500 JPY → 500). */
// biome-ignore format: as above
export const STRIPE_ZERO_DECIMAL = new Set([
  "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
]);

/**
 * "Three-decimal currencies": amounts in thousandths, but Stripe's partners require the least-significant (last)
 * digit to be 0 (5.124 KWD must be sent as 5120 or 5130).
 */
export const STRIPE_THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

/** Every other presentment currency is two-decimal in Stripe's API. */
export const STRIPE_DEFAULT_EXPONENT = 2;

/**
 * Divisibility Stripe requires of a charge or refund amount, in Stripe's units ("Special cases"; the ISK support
 * article). Three-decimal: a multiple of 10. ISK: still two-decimal in the API, but the decimals must be 00 (whole
 * krónur): a multiple of 100, else 400 `invalid_charge_amount_no_decimal_compatible`.
 */
export const STRIPE_CHARGE_DIVISOR: Readonly<Record<string, number>> = {
  BHD: 10,
  JOD: 10,
  KWD: 10,
  OMR: 10,
  TND: 10,
  ISK: 100,
};

/**
 * Divisibility Stripe requires of a payout amount, in Stripe's units ("Special cases"): HUF and TWD are charged as
 * two-decimal amounts, but Stripe pays them out as zero-decimal: a manual payout must be a multiple of 100. ISK
 * follows from its charge rule.
 */
export const STRIPE_PAYOUT_DIVISOR: Readonly<Record<string, number>> = {
  HUF: 100,
  TWD: 100,
  ISK: 100,
};

/**
 * "Minimum and maximum charge amounts": the minimum charge, in Stripe's units (minor units of Stripe's exponent),
 * for the currencies the table lists (HUF 175.00 → 17500; JPY ¥50 → 50). Others: `STRIPE_MINIMUM_DEFAULT`.
 */
export const STRIPE_MINIMUMS: Readonly<Record<string, number>> = {
  USD: 50,
  EUR: 50,
  GBP: 30,
  CAD: 50,
  AUD: 50,
  NZD: 50,
  CHF: 50,
  SGD: 50,
  HKD: 400,
  JPY: 50,
  MXN: 1000,
  BRL: 50,
  INR: 50,
  SEK: 300,
  NOK: 300,
  DKK: 250,
  PLN: 200,
  CZK: 1500,
  HUF: 17500,
  RON: 200,
  BGN: 100,
  THB: 1000,
  MYR: 200,
  AED: 200,
};

/**
 * For currencies the minimum table does not list, Stripe's rule is "the equivalent of 0.50 USD", which needs an
 * exchange rate we do not have offline: we require 50 of Stripe's units (0.50 of a two-decimal currency), raised to
 * the currency's divisor (ISK: 1 króna).
 */
export const STRIPE_MINIMUM_DEFAULT = 50;

/**
 * The largest amount, in Stripe's units: the `amount` field "supports up to eight digits" (99999999, a USD charge
 * of $999,999.99); IDR is allowed twelve digits.
 */
export const STRIPE_MAXIMUM_DEFAULT = 99_999_999;
export const STRIPE_MAXIMUMS: Readonly<Record<string, number>> = { IDR: 999_999_999_999 };
