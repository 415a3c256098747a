import { appExponent } from "./currency";

/**
 * Amounts typed by people: the one parser every amount field uses (in the browser before sending, and in the
 * server actions, which must accept what the forms accept). The JSON API does not use it: it takes integer
 * minor units.
 *
 * What it reads, in the conventions the app prints amounts in (`formatMoney`: en-US, "$12,000.50", "¥1,500",
 * "KWD 1.500"), plus the common European ones:
 * - an optional currency symbol or code of the amount's own currency, before or after the number ("$", "US$",
 *   "USD", "¥", "kr"), as `formatMoney` prints it for that currency;
 * - spaces anywhere around, and spaces (also no-break and thin spaces) as thousands separators ("12 000");
 * - "," and "." as thousands separators in groups of three ("12,000", "1.000.000") and as the decimal separator
 *   ("12.50", "12,50"); when both occur, the last one is the decimal separator ("12,000.50", "12.000,50").
 *
 * What it refuses, each with a code and a sentence whose example follows the currency ("1500" for yen,
 * "12.50" for dollars, "12.500" for dinars):
 * - AMOUNT_REQUIRED: nothing typed;
 * - AMOUNT_INVALID: anything else than the above (letters, another currency's symbol, a minus sign, groups
 *   that are not of three digits, two decimal separators);
 * - AMOUNT_AMBIGUOUS: one separator followed by exactly three digits where both readings fit the currency
 *   ("1.500" in USD: 1500 in European writing or 1.50 badly typed; "1,500" in KWD: 1500 or 1.500);
 * - AMOUNT_TOO_PRECISE: more decimals than the currency has minor units ("10.5" yen, "1.234" dollars);
 * - AMOUNT_TOO_MANY_DIGITS: more than 15 digits (beyond what a number holds exactly);
 * - CURRENCY_UNKNOWN: `currency` (a form field, as sent) is no ISO 4217 code the runtime knows.
 *
 * Limits of the amount itself (minimum, maximum, step) are not checked here: see `chargeProblem` and the schemas.
 */

/** Why a typed amount was refused: a machine code and a sentence to put after the field's label. */
export interface AmountInputProblem {
  code:
    | "AMOUNT_REQUIRED"
    | "AMOUNT_INVALID"
    | "AMOUNT_AMBIGUOUS"
    | "AMOUNT_TOO_PRECISE"
    | "AMOUNT_TOO_MANY_DIGITS"
    | "CURRENCY_UNKNOWN";
  message: string;
}

/** A typed amount: integer minor units of the app's exponent (lib/money/currency.ts), or why it was refused. */
export type AmountInput = { ok: true; amount: number } | ({ ok: false } & AmountInputProblem);

/** Digits of an exact integer: 15 keeps every amount below 2^53 whatever the exponent. */
const MAX_DIGITS = 15;

/** Spaces a person (or a copy of a formatted amount) puts in a number: space, no-break, narrow no-break, thin. */
const SPACES = /[\s\u00a0\u202f\u2009]+/g;

function exponentOf(currency: string): number | undefined {
  try {
    return appExponent(currency);
  } catch {
    return undefined; // Intl throws a RangeError for "" or garbage
  }
}

/** An example amount in `currency`, as a person would type it: "12.50" (USD), "1500" (JPY), "12.500" (KWD). */
export function amountExample(currency: string): string {
  const exp = exponentOf(currency) ?? 2;
  return exp === 0 ? "1500" : `12.${"50".padEnd(exp, "0")}`;
}

/** The symbols and code `formatMoney` may print for `currency` (en-US), longest first. */
function symbolsOf(currency: string): string[] {
  const found = new Set<string>([currency]);
  for (const currencyDisplay of ["symbol", "narrowSymbol", "code"] as const) {
    const parts = new Intl.NumberFormat("en-US", { style: "currency", currency, currencyDisplay }).formatToParts(1);
    const symbol = parts.find((p) => p.type === "currency")?.value;
    if (symbol) found.add(symbol.replace(SPACES, " "));
  }
  return [...found].sort((a, b) => b.length - a.length);
}

function problem(code: AmountInputProblem["code"], currency: string, exp: number): AmountInput {
  const example = amountExample(currency);
  const decimals = exp === 0 ? `${currency} has no decimals` : `at most ${exp} decimals`;
  const messages: Record<AmountInputProblem["code"], string> = {
    AMOUNT_REQUIRED: `is required: enter an amount such as ${example}`,
    AMOUNT_INVALID: `must be a number such as ${example} (${decimals})`,
    AMOUNT_AMBIGUOUS: `is ambiguous: write it without thousands separators, such as ${example}`,
    AMOUNT_TOO_PRECISE: `must be a number such as ${example} (${decimals})`,
    AMOUNT_TOO_MANY_DIGITS: `is too large (at most ${MAX_DIGITS} digits)`,
    CURRENCY_UNKNOWN: `cannot be read: ${JSON.stringify(currency.slice(0, 8))} is not a currency`,
  };
  return { ok: false, code, message: messages[code] };
}

/** Whether `groups` (the digits between thousands separators) are grouped by three, e.g. ["12", "000"]. */
function groupedByThree(groups: string[]): boolean {
  return /^\d{1,3}$/.test(groups[0] ?? "") && groups.slice(1).every((g) => /^\d{3}$/.test(g));
}

/**
 * Parse an amount typed by a person (see above) in `currency` into integer minor units of the app's exponent:
 * ("12,000", "USD") → 1200000; ("1,500", "JPY") → 1500; ("$12.5", "USD") → 1250; ("KWD 1.500", "KWD") → 1500.
 * Never throws. Zero parses (0); whether it is acceptable is the caller's rule.
 */
export function parseAmountInput(text: string, currency: string): AmountInput {
  const exp = exponentOf(currency);
  if (exp === undefined) return problem("CURRENCY_UNKNOWN", currency, 2);
  let s = text.replace(SPACES, " ").trim();
  if (s === "") return problem("AMOUNT_REQUIRED", currency, exp);
  const upper = s.toUpperCase();
  for (const symbol of symbolsOf(currency)) {
    if (upper.startsWith(symbol.toUpperCase())) {
      s = s.slice(symbol.length).trim();
      break;
    }
    if (upper.endsWith(symbol.toUpperCase())) {
      s = s.slice(0, -symbol.length).trim();
      break;
    }
  }
  if (!/^[\d., ]+$/.test(s) || !/\d/.test(s)) return problem("AMOUNT_INVALID", currency, exp);

  // The decimal separator: the last "." or "," when both kinds occur; a lone one unless it is followed by
  // exactly three digits, which may be thousands instead.
  const at = Math.max(s.lastIndexOf("."), s.lastIndexOf(","));
  let whole = s;
  let fraction = "";
  if (at >= 0) {
    const sep = s[at] as "." | ",";
    const bothKinds = s.includes(sep === "." ? "," : ".");
    const once = s.indexOf(sep) === at;
    let decimal = bothKinds || (once && !/^\d{3}$/.test(s.slice(at + 1)));
    if (!bothKinds && once && !decimal) {
      // "1,500" / "1.500". The app writes "," for thousands and "." for decimals: "1,500" is thousands unless
      // the currency has three decimals (KWD: 1.500 or 1500?); "1.500" is three decimals, which only such a
      // currency has (else: 1500 in European writing, or a mistyped 1.50?).
      if (exp === 3 && sep === ".") decimal = true;
      else if (exp === 3 || sep === ".") return problem("AMOUNT_AMBIGUOUS", currency, exp);
    }
    if (decimal) {
      whole = s.slice(0, at);
      fraction = s.slice(at + 1);
    }
  }
  if (/[.,]/.test(fraction) || / /.test(fraction)) return problem("AMOUNT_INVALID", currency, exp);
  // The whole part: digits, grouped by three with one kind of separator, or not grouped at all.
  const separators = new Set(whole.match(/[., ]/g) ?? []);
  if (separators.size > 1) return problem("AMOUNT_INVALID", currency, exp);
  const groups = separators.size === 1 ? whole.split([...separators][0] as string) : [whole];
  if (groups.length > 1 && !groupedByThree(groups)) return problem("AMOUNT_INVALID", currency, exp);
  const digits = groups.join("");
  if (digits === "" && fraction === "") return problem("AMOUNT_INVALID", currency, exp);
  if (/^0*$/.test(fraction.slice(exp)))
    fraction = fraction.slice(0, exp); // "¥1,500.00" is 1500 yen
  else return problem("AMOUNT_TOO_PRECISE", currency, exp);
  const all = `${digits}${fraction.padEnd(exp, "0")}`.replace(/^0+(?=\d)/, "");
  if (all.length > MAX_DIGITS) return problem("AMOUNT_TOO_MANY_DIGITS", currency, exp);
  return { ok: true, amount: Number(all) };
}
