import {
  STRIPE_CHARGE_DIVISOR,
  STRIPE_DEFAULT_EXPONENT,
  STRIPE_MAXIMUM_DEFAULT,
  STRIPE_MAXIMUMS,
  STRIPE_MINIMUM_DEFAULT,
  STRIPE_MINIMUMS,
  STRIPE_PAYOUT_DIVISOR,
  STRIPE_PRESENTMENT,
  STRIPE_THREE_DECIMAL,
  STRIPE_ZERO_DECIMAL,
} from "./currencies";

/**
 * Currency units: the one place that knows them (docs/payments.md, "Currency units").
 *
 * Two units per currency:
 * - the **app unit**: what the app stores, shows and takes in its API — minor units of ICU's exponent
 *   (`Intl.NumberFormat(…).resolvedOptions().maximumFractionDigits`: USD 2, JPY 0, HUF 0, KWD 3). Amounts already in
 *   the database are in this unit, so the app exponent stays ICU's for every code: no stored amount changes meaning.
 * - the **provider unit**: what Stripe's API (and the sandbox, which imitates it) takes and sends — Stripe's exponent
 *   (Stripe's docs page "Supported currencies": zero-decimal, three-decimal, otherwise two-decimal; HUF, ISK, IDR, PKR,
 *   … are two-decimal there although ICU says 0).
 *
 * Amounts cross between the two only at the provider adapters' boundary (`toProviderAmount`, `fromProviderAmount`).
 * The charge rules (minimum, maximum, divisibility) are Stripe's, expressed here in app units.
 */

/** ISO 4217 codes the runtime's ICU knows: the currencies the app can name, store and format. */
const CODES = new Set(Intl.supportedValuesOf("currency"));

/** The amount is not exactly representable in the other unit, or the currency cannot be charged. */
export class CurrencyUnitError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "CurrencyUnitError";
  }
}

/** Whether `code` is an ISO 4217 code (upper case) the runtime's ICU knows. */
export function isCurrency(code: string): boolean {
  return CODES.has(code);
}

/** Known currencies' exponents: building an Intl.NumberFormat costs ~30 µs, and every money path asks. */
const exponents = new Map<string, number>();

/** The app unit's exponent (ICU's minor-unit digits): USD 2, JPY 0, HUF 0, BHD 3. Throws RangeError for a code ICU does not know. */
export function appExponent(currency: string): number {
  let exp = exponents.get(currency);
  if (exp === undefined) {
    exp = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    if (CODES.has(currency)) exponents.set(currency, exp); // bounded by the ISO list, whatever callers pass
  }
  return exp;
}

/**
 * Whether the configured payment provider can charge in `currency` (Stripe's "Supported presentment currencies";
 * the sandbox accepts the same list). False for codes ICU does not know and for XDR, XAU, XTS, ….
 */
export function isChargeable(currency: string): boolean {
  return CODES.has(currency) && STRIPE_PRESENTMENT.has(currency);
}

/** Every currency the app accepts for a campaign (chargeable and known to ICU), sorted by code. */
export function chargeableCurrencies(): string[] {
  return [...STRIPE_PRESENTMENT].filter((c) => CODES.has(c)).sort();
}

/** Stripe's exponent for `currency` (0, 2 or 3), or undefined when it is not chargeable. */
export function providerExponent(currency: string): number | undefined {
  if (!isChargeable(currency)) return undefined;
  if (STRIPE_ZERO_DECIMAL.has(currency)) return 0;
  if (STRIPE_THREE_DECIMAL.has(currency)) return 3;
  return STRIPE_DEFAULT_EXPONENT;
}

function scaleOf(currency: string): number {
  const pe = providerExponent(currency);
  if (pe === undefined) throw new CurrencyUnitError(`${currency} is not a currency the payment provider can charge`);
  return pe - appExponent(currency);
}

function checkInteger(amount: number, what: string) {
  if (!Number.isSafeInteger(amount)) throw new CurrencyUnitError(`${what} must be an integer, got ${amount}`);
}

/**
 * An amount in app units as Stripe's units (20000 HUF Ft, app exponent 0 → 2000000). Integer in, integer out.
 * Throws CurrencyUnitError when the currency is not chargeable, the amount is not a safe integer, or it has no
 * exact equivalent (only possible where the app's exponent exceeds Stripe's; no chargeable currency has that today).
 * Does not check the charge rules: see `chargeProblem`.
 */
export function toProviderAmount(amountApp: number, currency: string): number {
  checkInteger(amountApp, "An amount");
  const scale = scaleOf(currency);
  if (scale >= 0) return amountApp * 10 ** scale;
  const f = 10 ** -scale;
  if (amountApp % f !== 0) throw new CurrencyUnitError(`${amountApp} minor units of ${currency} have no exact provider amount`);
  return amountApp / f;
}

/**
 * An amount in Stripe's units as app units (2000000 HUF → 20000). Throws CurrencyUnitError when the currency is not
 * chargeable, the amount is not a safe integer, or it is not exactly representable in app units (e.g. HUF 1050 =
 * 10.50 Ft, where the app stores whole forints).
 */
export function fromProviderAmount(amountProvider: number, currency: string): number {
  checkInteger(amountProvider, "A provider amount");
  const scale = scaleOf(currency);
  if (scale <= 0) return amountProvider * 10 ** -scale;
  const f = 10 ** scale;
  if (amountProvider % f !== 0) {
    throw new CurrencyUnitError(`${amountProvider} provider units of ${currency} have no exact amount in the app's units`);
  }
  return amountProvider / f;
}

/**
 * Like `fromProviderAmount`, but rounds to the nearest app unit instead of throwing for a fraction: for amounts the
 * provider computes itself (a dispute fee) that the app only records. Throws for an unchargeable currency.
 */
export function fromProviderAmountRounded(amountProvider: number, currency: string): number {
  const scale = scaleOf(currency);
  return scale <= 0 ? amountProvider * 10 ** -scale : Math.round(amountProvider / 10 ** scale);
}

/** Smallest app step whose provider amount is a multiple of `providerDivisor`. */
function appStep(currency: string, providerDivisor: number): number {
  const scale = scaleOf(currency);
  let step = 1;
  while (!Number.isInteger((step * 10 ** scale) / providerDivisor) && step < 1e6) step *= 10;
  return step;
}

/** The charge rules of a currency, in app units. */
export interface ChargeLimits {
  /** Smallest chargeable amount (Stripe's minimum, rounded up to the step). */
  min: number;
  /** Largest chargeable amount (Stripe's 8-digit field, 12 for IDR, rounded down to the step). */
  max: number;
  /** Every charge and refund must be a multiple of this (KWD 10: Stripe's last digit 0; ISK 1: whole krónur). */
  step: number;
}

/**
 * The charge limits of `currency` in app units (Stripe's "Minimum and maximum charge amounts" and "Special cases").
 * E.g. USD {50, 99999999, 1}, HUF {175, 999999, 1}, KWD {50, 99999990, 10}, ISK {1, 999999, 1}. Throws
 * CurrencyUnitError for an unchargeable currency.
 */
export function chargeLimits(currency: string): ChargeLimits {
  const scale = scaleOf(currency);
  const step = appStep(currency, STRIPE_CHARGE_DIVISOR[currency] ?? 1);
  const minProvider = STRIPE_MINIMUMS[currency] ?? STRIPE_MINIMUM_DEFAULT;
  const maxProvider = STRIPE_MAXIMUMS[currency] ?? STRIPE_MAXIMUM_DEFAULT;
  const minApp = Math.ceil(minProvider / 10 ** scale);
  const maxApp = Math.floor(maxProvider / 10 ** scale);
  return { min: Math.ceil(minApp / step) * step, max: Math.floor(maxApp / step) * step, step };
}

/**
 * The step, in app units, a payout (transfer) amount must be a multiple of: Stripe pays HUF and TWD out as
 * zero-decimal (provider amount a multiple of 100; "Special cases"), ISK in whole krónur. HUF 1 (the app already
 * stores whole forints), TWD 100, USD 1. Throws CurrencyUnitError for an unchargeable currency. Not used by the
 * payout code yet.
 */
export function payoutDivisor(currency: string): number {
  return appStep(currency, STRIPE_PAYOUT_DIVISOR[currency] ?? STRIPE_CHARGE_DIVISOR[currency] ?? 1);
}

/** Why the provider cannot charge an amount: a machine code and a sentence for a person. */
export interface ChargeProblem {
  code: "CURRENCY_NOT_SUPPORTED" | "AMOUNT_TOO_SMALL" | "AMOUNT_TOO_LARGE" | "AMOUNT_NOT_DIVISIBLE";
  message: string;
  limits?: ChargeLimits;
}

/**
 * Why the configured provider cannot charge `amountApp` (app units) of `currency`, or undefined when it can. Checks,
 * in order: the currency is chargeable, the amount is an integer within Stripe's minimum and maximum, and a multiple
 * of the currency's step (three-decimal currencies: Stripe's last digit 0; ISK: whole krónur). Never throws.
 */
export function chargeProblem(amountApp: number, currency: string): ChargeProblem | undefined {
  if (!isChargeable(currency)) {
    return { code: "CURRENCY_NOT_SUPPORTED", message: `The payment provider cannot charge in ${currency}` };
  }
  const limits = chargeLimits(currency);
  const show = (n: number) => formatMoney(n, currency);
  if (!Number.isSafeInteger(amountApp) || amountApp < limits.min) {
    return { code: "AMOUNT_TOO_SMALL", message: `The smallest amount that can be charged is ${show(limits.min)}`, limits };
  }
  if (amountApp > limits.max) {
    return { code: "AMOUNT_TOO_LARGE", message: `The largest amount that can be charged is ${show(limits.max)}`, limits };
  }
  if (amountApp % limits.step !== 0) {
    return {
      code: "AMOUNT_NOT_DIVISIBLE",
      message: `Amounts in ${currency} must be a multiple of ${show(limits.step)} for the payment provider`,
      limits,
    };
  }
  return undefined;
}

/** formatMoney's formatters by locale and currency (a receipt or a page formats many amounts). */
const moneyFormats = new Map<string, Intl.NumberFormat>();

/** Format integer app units for display, e.g. (123456, "USD") → "$1,234.56". */
export function formatMoney(amountMinor: number, currency: string, locale = "en-US"): string {
  const exp = appExponent(currency);
  const key = `${locale} ${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: exp,
      maximumFractionDigits: exp,
    });
    // Bounded: the app's locales are a handful; past 1,000 pairs (never, in practice) formatters are not kept.
    if (CODES.has(currency) && moneyFormats.size < 1000) moneyFormats.set(key, format);
  }
  return format.format(amountMinor / 10 ** exp);
}
