"use client";

import { Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";
// The "pure" entry point adds Stripe.js to the page only when loadStripe is called (a Stripe-configured form), not on
// import: in sandbox mode no campaign page loads it.
import { loadStripe } from "@stripe/stripe-js/pure";
import { type MutableRefObject, useEffect, useMemo, useState } from "react";
import { toProviderAmount } from "@/lib/money/currency";
import { Field } from "./Field";

/** What the contribute form asks of Stripe's Payment Element: the PaymentMethod at submit, then any next action. */
export interface PaymentHandle {
  /** Validate the element (elements.submit) and create the PaymentMethod its details describe (card, wallet, Link). */
  createPaymentMethod(): Promise<{ id: string } | { error: string }>;
  /** Complete a payment that requires action (3-D Secure) with its client secret: Stripe.js shows the challenge. */
  handleNextAction(clientSecret: string): Promise<{ error?: string }>;
}

/**
 * Stripe's Payment Element with deferred intent creation ("finalize payments on the server"): cards, Apple Pay,
 * Google Pay and Link where the account and the device offer them. The payment details go from the browser to
 * Stripe only; our API receives the PaymentMethod ID, creates and confirms the PaymentIntent, and a payment that
 * requires action comes back here for `handleNextAction`. `amount` is in the app's minor units (converted here to
 * Stripe's, which the element and wallet sheets take); shown when STRIPE_PUBLISHABLE_KEY is configured.
 */
export function StripePayment({
  publishableKey,
  amount,
  currency,
  handleRef,
}: {
  publishableKey: string;
  amount: number;
  currency: string;
  handleRef: MutableRefObject<PaymentHandle | null>;
}) {
  const [failed, setFailed] = useState(false);
  const stripeAmount = inStripeUnits(amount, currency);
  const stripe = useMemo(
    () =>
      loadStripe(publishableKey).catch(() => {
        setFailed(true); // Stripe.js could not be loaded (offline, blocked)
        return null;
      }),
    [publishableKey],
  );
  if (failed) {
    return (
      <p className="field-error" role="alert">
        The payment form could not be loaded from Stripe. Check your connection and reload the page.
      </p>
    );
  }
  return (
    <Elements
      stripe={stripe}
      options={{
        mode: "payment",
        amount: Math.max(stripeAmount, 1),
        currency: currency.toLowerCase(),
        paymentMethodCreation: "manual",
      }}
    >
      <PaymentInput handleRef={handleRef} amount={stripeAmount} />
    </Elements>
  );
}

/** The app amount in Stripe's units, or 0 while the typed amount has none (the form refuses it on submit). */
function inStripeUnits(amount: number, currency: string): number {
  try {
    return amount > 0 ? toProviderAmount(amount, currency) : 0;
  } catch {
    return 0;
  }
}

/** `amount` in Stripe's units. */
function PaymentInput({ handleRef, amount }: { handleRef: MutableRefObject<PaymentHandle | null>; amount: number }) {
  const stripe = useStripe();
  const elements = useElements();
  // Wallet sheets show the amount: keep the element's in step with the form's.
  useEffect(() => {
    if (amount > 0) elements?.update({ amount });
  }, [elements, amount]);
  useEffect(() => {
    handleRef.current = {
      async createPaymentMethod() {
        if (!stripe || !elements) return { error: "The payment form is still loading." };
        const submitted = await elements.submit();
        if (submitted.error) return { error: submitted.error.message ?? "Check your payment details." };
        const r = await stripe.createPaymentMethod({ elements });
        return r.error ? { error: r.error.message ?? "The payment method was refused." } : { id: r.paymentMethod.id };
      },
      async handleNextAction(clientSecret) {
        if (!stripe) return { error: "The payment form is still loading." };
        const r = await stripe.handleNextAction({ clientSecret });
        return r.error ? { error: r.error.message ?? "The payment was not authenticated." } : {};
      },
    };
    return () => {
      handleRef.current = null;
    };
  }, [stripe, elements, handleRef]);
  return (
    <Field id="contribute-payment" label="Payment" hint="Card, Apple Pay, Google Pay or Link: details go straight to Stripe.">
      <div className="stripe-card">
        <PaymentElement options={{ layout: "tabs" }} />
      </div>
    </Field>
  );
}
