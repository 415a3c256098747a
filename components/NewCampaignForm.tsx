"use client";

import { type FormEvent, useState } from "react";
import { parseMajorAmount } from "@/lib/money/currency";
import { apiFetch, describeError } from "./api";
import { Field } from "./Field";

const CURRENCIES = [
  "USD",
  "EUR",
  "GBP",
  "CAD",
  "AUD",
  "JPY",
  "CHF",
  "SEK",
  "NOK",
  "DKK",
  "PLN",
  "BRL",
  "MXN",
  "INR",
  "NZD",
  "SGD",
];

/** API field name → the form field that shows its error, and its label. */
const FIELD_OF: Record<string, [string, string]> = {
  title: ["title", "Title"],
  story: ["story", "Story"],
  goalAmount: ["goal", "Goal"],
  currency: ["currency", "Currency"],
  endsAt: ["endsAt", "End date"],
};

type Errors = Record<string, string>;

export function NewCampaignForm({ minDate }: { minDate: string }) {
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const get = (k: string) => String(f.get(k) ?? "");
    const currency = get("currency");
    setFormError(undefined);
    const goalAmount = parseMajorAmount(get("goal"), currency);
    if (goalAmount === undefined) {
      setErrors({ goal: "Enter an amount such as 500 or 12.50 (no more decimals than the currency uses)." });
      return;
    }
    const date = get("endsAt");
    const body = {
      title: get("title"),
      story: get("story"),
      goalAmount,
      currency,
      ...(date ? { endsAt: `${date}T23:59:59Z` } : {}),
      status: f.get("publish") ? "active" : "draft",
    };
    setBusy(true);
    setErrors({});
    const res = await apiFetch<{ id: string }>("/api/campaigns", { method: "POST", body });
    if (res.ok) {
      window.location.assign(`/campaigns/${res.data.id}`);
      return;
    }
    setBusy(false);
    const next: Errors = {};
    const unplaced: string[] = [];
    for (const d of res.error.details) {
      const target = FIELD_OF[d.field];
      if (target) next[target[0]] ??= `${target[1]} ${d.message}`;
      else unplaced.push(d.field ? `${d.field}: ${d.message}` : d.message);
    }
    setErrors(next);
    if (Object.keys(next).length === 0 || unplaced.length > 0) {
      setFormError([describeError(res.error), ...unplaced].join(" "));
    }
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="New campaign">
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <Field id="title" label="Title" error={errors.title}>
        <input name="title" type="text" required maxLength={120} autoComplete="off" />
      </Field>
      <Field id="story" label="Story" error={errors.story} hint="Why are you raising money? Blank lines separate paragraphs.">
        <textarea name="story" rows={8} required maxLength={20000} />
      </Field>
      <div className="field-row">
        <Field id="goal" label="Goal" error={errors.goal}>
          <input name="goal" type="text" inputMode="decimal" required placeholder="500" autoComplete="off" />
        </Field>
        <Field id="currency" label="Currency" error={errors.currency}>
          <select name="currency" defaultValue="USD">
            {CURRENCIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field id="endsAt" label="End date" error={errors.endsAt} hint="Optional. The campaign ends at the end of this day (UTC).">
        <input name="endsAt" type="date" min={minDate} />
      </Field>
      <div className="checkbox">
        <input id="publish" name="publish" type="checkbox" defaultChecked />
        <label htmlFor="publish">Publish now</label>
        <span className="muted small">Unchecked keeps the campaign as a private draft.</span>
      </div>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy ? "Creating…" : "Create campaign"}
      </button>
    </form>
  );
}
