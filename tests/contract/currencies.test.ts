/**
 * Every currency the app accepts for a campaign, charged through our Stripe adapter and the REAL `stripe` SDK
 * against the local Stripe-protocol server (tests/support/fake-stripe.ts), which enforces Stripe's amount rules on
 * its own. For each: the minimum and a typical amount reach Stripe in Stripe's units and come back (`fromIntent`)
 * in the app's; an amount Stripe cannot charge is refused by the app (`checkAmount`) before any request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { appExponent, chargeableCurrencies, chargeLimits } from "@/lib/money/currency";
import { checkAmount } from "@/lib/payments/contributions";
import { type PaymentProvider, paymentIdempotencyKey } from "@/lib/payments/provider";
import { stripeProvider } from "@/lib/payments/stripe";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe";

/**
 * Where Stripe's exponent is not ICU's (the app's), the factor from app units to Stripe's units — kept here by
 * hand, apart from the module under test. Everywhere else the factor is 1.
 */
// biome-ignore format: a table
const FACTOR: Record<string, number> = {
  AFN: 100, ALL: 100, COP: 100, HUF: 100, IDR: 100, ISK: 100, LAK: 100, LBP: 100, MMK: 100, PKR: 100, SLL: 100,
  SOS: 100, YER: 100,
};

let fake: FakeStripe;
let provider: PaymentProvider;
let seq = 0;

beforeAll(async () => {
  fake = await startFakeStripe();
  provider = stripeProvider({ secretKey: "sk_test_123", webhookSecret: "whsec_test", apiBase: fake.url });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

async function charge(amount: number, currency: string) {
  const contributionId = `contrib-${++seq}`;
  return provider.createPayment({
    contributionId,
    campaignId: "camp-1",
    amount,
    currency,
    paymentMethod: "pm_card_visa",
    idempotencyKey: paymentIdempotencyKey(contributionId),
    returnUrl: "http://localhost:3000/campaigns/camp-1",
  });
}

/** Ten major units of the currency, raised to the minimum and the step. */
function typical(currency: string): number {
  const { min, step } = chargeLimits(currency);
  const ten = Math.max(10 * 10 ** appExponent(currency), min);
  return Math.ceil(ten / step) * step;
}

const currencies = chargeableCurrencies();

describe("every chargeable currency through the Stripe adapter", () => {
  it("covers the currencies people use, and no unchargeable one", () => {
    expect(currencies.length).toBeGreaterThan(120);
    for (const c of ["USD", "EUR", "JPY", "HUF", "ISK", "KWD", "IDR"]) expect(currencies).toContain(c);
    for (const c of ["XDR", "XAU", "XTS", "IRR"]) expect(currencies).not.toContain(c);
  });

  it.each(currencies)(
    "%s: the minimum and a typical amount reach Stripe in Stripe's units and come back in the app's",
    async (currency) => {
      for (const amount of [chargeLimits(currency).min, typical(currency)]) {
        const before = fake.requests.length;
        const result = await charge(amount, currency);
        expect(result.status, `${amount} ${currency}: ${result.failureCode} ${result.failureMessage}`).toBe("succeeded");
        expect(fake.requests.length).toBe(before + 1);
        const sent = fake.intents.get(result.id);
        expect(sent?.currency).toBe(currency.toLowerCase());
        expect(sent?.amount).toBe(amount * (FACTOR[currency] ?? 1));
        expect(result.amount).toBe(amount);
      }
    },
  );

  it("sends a HUF pledge of 20,000 Ft as 2,000,000 (Stripe's two-decimal forint), not 200 Ft", async () => {
    const result = await charge(20_000, "HUF");
    expect(fake.intents.get(result.id)?.amount).toBe(2_000_000);
    expect(result.amount).toBe(20_000);
  });

  it.each([
    [1005, "KWD", "AMOUNT_NOT_CHARGEABLE"],
    [1, "BHD", "AMOUNT_OUT_OF_RANGE"],
    [49, "USD", "AMOUNT_OUT_OF_RANGE"],
    [174, "HUF", "AMOUNT_OUT_OF_RANGE"],
    [100_000_000, "JPY", "AMOUNT_OUT_OF_RANGE"],
    [1000, "XDR", "CURRENCY_NOT_SUPPORTED"],
  ])("refuses %i %s before any request to Stripe (%s)", async (amount, currency, code) => {
    let refused: unknown;
    try {
      checkAmount({ amount, currency }, Number.MAX_SAFE_INTEGER);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe(code);
    expect(fake.requests).toHaveLength(0);
  });

  it("Stripe itself (the fake, on its own rules) refuses what the app refuses, so the guard matters", async () => {
    const kwd = await charge(1005, "KWD");
    expect(kwd).toMatchObject({ status: "failed", failureCode: "invalid_amount" });
    const small = await charge(49, "USD");
    expect(small).toMatchObject({ status: "failed", failureCode: "amount_too_small" });
    expect(fake.requests).toHaveLength(2);
  });
});
