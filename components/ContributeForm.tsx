"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { contributeAction } from "@/app/actions/contributions";
import type { ActionResult } from "@/lib/actions";
import { parseAmountInput } from "@/lib/money/input";
import type { ContributionDto } from "@/lib/payments/schemas";
import { apiErrorOf } from "./api";
import { PaymentMethodField, PresetAmounts, type SandboxMethod } from "./ContributeFields";
import { ContributeResult } from "./ContributeResult";
import {
  errorOutcome,
  finalOutcome,
  isOpen,
  majorText,
  newIdempotencyKey,
  type Outcome,
  pollContribution,
  presetAmounts,
  waitForTotals,
} from "./contribute";
import { Field } from "./Field";
import { formatMoney } from "./format";
import { type PaymentHandle, StripePayment } from "./StripePayment";
import { useActionForm } from "./useActionForm";

interface Props {
  campaignId: string;
  currency: string;
  /** The sandbox's test payment methods; empty when real Stripe is configured. */
  sandboxMethods: SandboxMethod[];
  /** Smallest and largest amount the provider can charge, in app minor units (lib/money/currency.ts `chargeLimits`). */
  minAmount: number;
  maxAmount: number;
  /** Amounts must be a multiple of this (app minor units; e.g. 10 for KWD, whose provider amounts end in 0). */
  amountStep?: number;
  /** The count shown on the page; totals are eventually consistent, so a refresh waits for it to move. */
  contributionCount: number;
  /** Set when real Stripe is configured with a publishable key: Stripe's Payment Element (cards, wallets, Link). */
  stripePublishableKey?: string;
  /** The Idempotency-Key of the first submission, made by the server so the form works without JavaScript. */
  idempotencyKey: string;
}

type Values = { amount: string; method: string; message: string; anonymous: boolean; subscribe: boolean };

/** An answer of the contribute action → inline field errors and the result panel; `resetKey` once it is final. */
function answerView(a: ActionResult<ContributionDto>, range: string): ReturnType<typeof errorOutcome> {
  return a.ok ? { fields: {}, outcome: finalOutcome(a.data), resetKey: true } : errorOutcome(apiErrorOf(a.error), range);
}

/**
 * The Contribute form: posts to contributeAction with the hidden Idempotency-Key (a double submit is one
 * contribution; the key is kept for a retry until an answer is final or a field changes). Without JavaScript
 * it works with the sandbox's methods; with it, a pending payment is followed until it settles. A payment that
 * requires authentication (3-D Secure) is handed to Stripe.js (handleNextAction) or, in the sandbox, to its
 * authentication page, which comes back here with `?contribution=<id>`: that contribution is then followed.
 */
export function ContributeForm({
  campaignId,
  currency,
  sandboxMethods,
  minAmount,
  maxAmount,
  amountStep = 1,
  contributionCount,
  stripePublishableKey,
  idempotencyKey,
}: Props) {
  const card = useRef<PaymentHandle | null>(null);
  /** The PaymentMethod created for the current key: a retry must send the same body, so it reuses it. */
  const cardMethod = useRef<string | null>(null);
  const router = useRouter();
  const pathname = usePathname();
  const returning = useSearchParams().get("contribution");
  const presets = presetAmounts(currency);
  const amountRange = `between ${formatMoney(minAmount, currency)} and ${formatMoney(maxAmount, currency)}`;
  const { state, pending, form } = useActionForm(contributeAction, undefined, check);
  const [v, setV] = useState<Values>(() => ({
    amount: "",
    method: (sandboxMethods.find((m) => m.id === "pm_card_visa") ?? sandboxMethods[0])?.id ?? "",
    message: "",
    anonymous: false,
    subscribe: false,
  }));
  const [key, setKey] = useState(idempotencyKey);
  const [errors, setErrors] = useState<Record<string, string>>(() => (state ? answerView(state, amountRange).fields : {}));
  const [outcome, setOutcome] = useState<Outcome | undefined>(() => (state ? answerView(state, amountRange).outcome : undefined));
  /** Following a pending payment (and the totals) after the answer. */
  const [following, setFollowing] = useState(false);
  const answered = useRef(state);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const typed = parseAmountInput(v.amount, currency);
  const amount = typed.ok ? typed.amount : undefined;
  /** The typed amount when the provider can charge it (the button names it only then). */
  const chargeable =
    amount !== undefined && amount >= minAmount && amount <= maxAmount && amount % amountStep === 0 ? amount : undefined;
  function newKey() {
    setKey(newIdempotencyKey());
    cardMethod.current = null;
  }
  function set<K extends keyof Values>(field: K, value: Values[K]) {
    newKey();
    setV((prev) => ({ ...prev, [field]: value }));
    const errorKey = field === "method" ? "paymentMethod" : field;
    if (errors[errorKey]) setErrors((prev) => ({ ...prev, [errorKey]: "" }));
  }

  /** The browser's own checks, and the card's PaymentMethod (Stripe), before the form is sent. */
  async function check(data: FormData): Promise<boolean> {
    setOutcome(undefined); // a new submission: the previous one's result no longer applies
    const next: Record<string, string> = {};
    if (!typed.ok) next.amount = `Amount ${typed.message}.`;
    else if (typed.amount < minAmount || typed.amount > maxAmount) next.amount = `Amount must be ${amountRange}.`;
    else if (typed.amount % amountStep !== 0) next.amount = `Amount must be a multiple of ${formatMoney(amountStep, currency)}.`;
    if (!stripePublishableKey && !v.method.trim()) next.paymentMethod = "Enter a payment method ID (pm_…).";
    setErrors(next);
    if (Object.keys(next).length > 0) return false;
    if (stripePublishableKey) {
      if (!cardMethod.current) {
        const pm = (await card.current?.createPaymentMethod()) ?? { error: "The card form is still loading." };
        if ("error" in pm) {
          setErrors({ paymentMethod: pm.error });
          setOutcome({ tone: "error", text: pm.error });
          return false;
        }
        cardMethod.current = pm.id;
      }
      data.set("paymentMethod", cardMethod.current);
    }
    return true;
  }

  // Each new answer: show it, drop the key once it is final, follow a pending payment, then refresh the totals.
  useEffect(() => {
    if (!state || state === answered.current) return;
    answered.current = state;
    const view = answerView(state, amountRange);
    if (view.resetKey) newKey();
    setErrors(view.fields);
    if (!state.ok) return setOutcome(view.outcome);
    void follow(state.data);
  });

  // Back from authenticating a payment (?contribution=<id>): follow it, then drop the parameter.
  const followed = useRef<string | null>(null);
  useEffect(() => {
    if (!returning || followed.current === returning) return;
    followed.current = returning;
    router.replace(pathname, { scroll: false });
    void follow({ id: returning, status: "pending" });
  });

  /** Show a contribution's answer: authenticate it if asked, wait while pending, then refresh the totals. */
  async function follow(first: Pick<ContributionDto, "id" | "status"> & Partial<ContributionDto>) {
    let c = first;
    setFollowing(true);
    if (c.status === "requires_action" && c.clientSecret && card.current) {
      setOutcome({ tone: "pending", text: "Authenticating with your bank…" });
      const r = await card.current.handleNextAction(c.clientSecret);
      if (r.error) setOutcome({ tone: "error", text: r.error });
      c = { ...c, status: "pending" }; // settles through the webhook: follow it
    } else if (c.status === "requires_action" && c.nextAction?.redirectToUrl) {
      setOutcome(finalOutcome(c as ContributionDto));
      window.location.assign(c.nextAction.redirectToUrl); // the sandbox's (or the bank's) page; it comes back here
      return;
    }
    const wasOpen = isOpen(c);
    if (wasOpen) {
      setOutcome({ tone: "pending", text: "Payment processing…" });
      c = (await pollContribution(c.id, () => !alive.current)) ?? c;
      if (!alive.current) return;
    }
    if (!("amount" in c)) {
      setFollowing(false);
      return setOutcome({ tone: "error", text: "This payment could not be found." });
    }
    setOutcome(finalOutcome(c as ContributionDto));
    setFollowing(false);
    if (c.status === "succeeded") setV((prev) => ({ ...prev, amount: "", message: "" }));
    if (c.status === "succeeded") await waitForTotals(campaignId, contributionCount);
    if (wasOpen || c.status === "succeeded") router.refresh();
  }

  const busy = pending || following;
  return (
    <form className="form contribute-form" {...form} noValidate aria-label="Contribute">
      <input type="hidden" name="campaignId" value={campaignId} />
      <input type="hidden" name="currency" value={currency} />
      <input type="hidden" name="idempotencyKey" value={key} />
      <fieldset className="bare-fieldset" disabled={busy}>
        <PresetAmounts
          presets={presets}
          currency={currency}
          amount={amount}
          onPick={(a) => set("amount", majorText(a, currency))}
        />
        <Field id="contribute-amount" label="Amount" error={errors.amount} hint={`In ${currency}.`}>
          <input
            type="text"
            name="amount"
            inputMode="decimal"
            autoComplete="off"
            value={v.amount}
            onChange={(e) => set("amount", e.target.value)}
          />
        </Field>
        {stripePublishableKey ? (
          <StripePayment publishableKey={stripePublishableKey} amount={amount ?? 0} currency={currency} handleRef={card} />
        ) : (
          <PaymentMethodField
            methods={sandboxMethods}
            value={v.method}
            error={errors.paymentMethod}
            onChange={(m) => set("method", m)}
          />
        )}
        <Field id="contribute-message" label="Message (optional)" error={errors.message}>
          <textarea name="message" rows={3} maxLength={500} value={v.message} onChange={(e) => set("message", e.target.value)} />
        </Field>
        <div className="checkbox">
          <input
            id="contribute-anonymous"
            name="anonymous"
            type="checkbox"
            checked={v.anonymous}
            onChange={(e) => set("anonymous", e.target.checked)}
          />
          <label htmlFor="contribute-anonymous">Contribute anonymously</label>
        </div>
        <div className="checkbox checkbox-long">
          {/* Not part of the contribution's Idempotency-Key comparison: ticking it keeps the key. */}
          <input
            id="contribute-subscribe"
            name="subscribeToUpdates"
            type="checkbox"
            checked={v.subscribe}
            onChange={(e) => setV((prev) => ({ ...prev, subscribe: e.target.checked }))}
          />
          <label htmlFor="contribute-subscribe">Email me this campaign&apos;s updates</label>
        </div>
        <button type="submit" className="btn btn-primary btn-block" aria-busy={busy}>
          {chargeable !== undefined ? `Contribute ${formatMoney(chargeable, currency)}` : "Contribute"}
        </button>
      </fieldset>
      {outcome && <ContributeResult outcome={outcome} campaignId={campaignId} />}
    </form>
  );
}
