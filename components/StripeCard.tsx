"use client";

import { CardElement, Elements, useElements, useStripe } from "@stripe/react-stripe-js";
import { loadStripe } from "@stripe/stripe-js";
import { type MutableRefObject, useEffect, useMemo, useState } from "react";
import { Field } from "./Field";

/** What the contribute form asks of the card field at submit time. */
export type CardHandle = { createPaymentMethod(): Promise<{ id: string } | { error: string }> };

/**
 * Card entry with Stripe Elements (shown when STRIPE_PUBLISHABLE_KEY is configured): the card number
 * goes from the browser to Stripe only; our API receives the PaymentMethod ID it creates.
 */
export function StripeCard({
  publishableKey,
  handleRef,
}: {
  publishableKey: string;
  handleRef: MutableRefObject<CardHandle | null>;
}) {
  const [failed, setFailed] = useState(false);
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
        The card form could not be loaded from Stripe. Check your connection and reload the page.
      </p>
    );
  }
  return (
    <Elements stripe={stripe}>
      <CardInput handleRef={handleRef} />
    </Elements>
  );
}

function CardInput({ handleRef }: { handleRef: MutableRefObject<CardHandle | null> }) {
  const stripe = useStripe();
  const elements = useElements();
  useEffect(() => {
    handleRef.current = {
      async createPaymentMethod() {
        const card = elements?.getElement(CardElement);
        if (!stripe || !card) return { error: "The card form is still loading." };
        const r = await stripe.createPaymentMethod({ type: "card", card });
        return r.error ? { error: r.error.message ?? "The card was refused." } : { id: r.paymentMethod.id };
      },
    };
    return () => {
      handleRef.current = null;
    };
  }, [stripe, elements, handleRef]);
  return (
    <Field id="contribute-card" label="Card" hint="Card details go straight to Stripe.">
      <div className="stripe-card">
        <CardElement options={{ hidePostalCode: true }} />
      </div>
    </Field>
  );
}
