"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { parseMajorAmount } from "@/lib/money/currency";
import type { ContributionDto } from "@/lib/payments/schemas";
import { apiFetch } from "./api";
import { PaymentMethodField, PresetAmounts, type SandboxMethod } from "./ContributeFields";
import { ContributeResult } from "./ContributeResult";
import {
  errorOutcome,
  finalOutcome,
  majorText,
  newIdempotencyKey,
  type Outcome,
  pollContribution,
  presetAmounts,
  waitForTotals,
} from "./contribute";
import { Field } from "./Field";
import { formatMoney } from "./format";
import { type CardHandle, StripeCard } from "./StripeCard";

interface Props {
  campaignId: string;
  currency: string;
  /** The sandbox's test payment methods; empty when real Stripe is configured. */
  sandboxMethods: SandboxMethod[];
  minAmount: number;
  maxAmount: number;
  /** The count shown on the page; totals are eventually consistent, so a refresh waits for it to move. */
  contributionCount: number;
  /** Set when real Stripe is configured with a publishable key: card entry through Stripe Elements. */
  stripePublishableKey?: string;
}

type Values = { amount: string; method: string; message: string; anonymous: boolean };

export function ContributeForm({
  campaignId,
  currency,
  sandboxMethods,
  minAmount,
  maxAmount,
  contributionCount,
  stripePublishableKey,
}: Props) {
  const card = useRef<CardHandle | null>(null);
  /** The PaymentMethod created for the current key: a retry must send the same body, so it reuses it. */
  const cardMethod = useRef<string | null>(null);
  const router = useRouter();
  const presets = presetAmounts(currency);
  const [v, setV] = useState<Values>(() => ({
    amount: "",
    method: (sandboxMethods.find((m) => m.id === "pm_card_visa") ?? sandboxMethods[0])?.id ?? "",
    message: "",
    anonymous: false,
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  /** One key per logical submission: reused by retries, dropped after a 201 or any edit. */
  const key = useRef<string | null>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const amount = parseMajorAmount(v.amount, currency);
  const range = `between ${formatMoney(minAmount, currency)} and ${formatMoney(maxAmount, currency)}`;
  function set<K extends keyof Values>(field: K, value: Values[K]) {
    key.current = null;
    setV((prev) => ({ ...prev, [field]: value }));
    const errorKey = field === "method" ? "paymentMethod" : field;
    if (errors[errorKey]) setErrors((prev) => ({ ...prev, [errorKey]: "" }));
  }

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    const next: Record<string, string> = {};
    if (amount === undefined || amount <= 0) next.amount = `Enter an amount such as ${majorText(presets[1] ?? 0, currency)}.`;
    else if (amount < minAmount || amount > maxAmount) next.amount = `Amount must be ${range}.`;
    if (!stripePublishableKey && !v.method.trim()) next.paymentMethod = "Enter a payment method ID (pm_…).";
    setErrors(next);
    if (amount === undefined || Object.keys(next).length > 0) return;

    if (!key.current) cardMethod.current = null;
    let paymentMethod = v.method.trim();
    if (stripePublishableKey) {
      if (!cardMethod.current) {
        const pm = (await card.current?.createPaymentMethod()) ?? { error: "The card form is still loading." };
        if ("error" in pm) {
          setErrors({ paymentMethod: pm.error });
          setOutcome({ tone: "error", text: pm.error });
          return;
        }
        cardMethod.current = pm.id;
      }
      paymentMethod = cardMethod.current;
    }
    key.current ??= newIdempotencyKey();
    setBusy(true);
    setOutcome(undefined);
    const message = v.message.trim();
    const res = await apiFetch<ContributionDto>(`/api/campaigns/${campaignId}/contributions`, {
      method: "POST",
      body: { amount, currency, paymentMethod, ...(message ? { message } : {}), anonymous: v.anonymous },
      headers: { "Idempotency-Key": key.current },
    });
    if (!alive.current) return;
    if (!res.ok) {
      // No final answer: keep the key, so a retry can never charge twice.
      const r = errorOutcome(res.error, range);
      if (r.resetKey) key.current = null;
      setErrors(r.fields);
      setOutcome(r.outcome);
      setBusy(false);
      return;
    }
    key.current = null; // a final answer: the next submission is a new contribution
    let c = res.data;
    const wasPending = c.status === "pending";
    if (wasPending) {
      setOutcome({ tone: "pending", text: "Payment processing…" });
      c = (await pollContribution(c.id, () => !alive.current)) ?? c;
      if (!alive.current) return;
    }
    setOutcome(finalOutcome(c));
    setBusy(false);
    if (c.status === "succeeded") setV((prev) => ({ ...prev, amount: "", message: "" }));
    if (c.status === "succeeded") await waitForTotals(campaignId, contributionCount);
    if (wasPending || c.status === "succeeded") router.refresh();
  }

  return (
    <form className="form contribute-form" onSubmit={onSubmit} noValidate aria-label="Contribute">
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
            inputMode="decimal"
            autoComplete="off"
            value={v.amount}
            onChange={(e) => set("amount", e.target.value)}
          />
        </Field>
        {stripePublishableKey ? (
          <StripeCard publishableKey={stripePublishableKey} handleRef={card} />
        ) : (
          <PaymentMethodField
            methods={sandboxMethods}
            value={v.method}
            error={errors.paymentMethod}
            onChange={(m) => set("method", m)}
          />
        )}
        <Field id="contribute-message" label="Message (optional)" error={errors.message}>
          <textarea rows={3} maxLength={500} value={v.message} onChange={(e) => set("message", e.target.value)} />
        </Field>
        <div className="checkbox">
          <input
            id="contribute-anonymous"
            type="checkbox"
            checked={v.anonymous}
            onChange={(e) => set("anonymous", e.target.checked)}
          />
          <label htmlFor="contribute-anonymous">Contribute anonymously</label>
        </div>
        <button type="submit" className="btn btn-primary btn-block" aria-busy={busy}>
          {amount !== undefined && amount > 0 ? `Contribute ${formatMoney(amount, currency)}` : "Contribute"}
        </button>
      </fieldset>
      {outcome && <ContributeResult outcome={outcome} campaignId={campaignId} />}
    </form>
  );
}
