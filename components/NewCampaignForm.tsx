"use client";

import { useEffect, useRef, useState } from "react";
import { createCampaignAction } from "@/app/actions/campaigns";
import type { ActionError } from "@/lib/actions";
import { type CampaignFormValues, campaignFormValues, checkCampaignForm } from "@/lib/campaigns/form";
import { INVALID_FIELDS } from "@/lib/forms";
import type { FieldIssue } from "./api";
import { CampaignTextFields } from "./CampaignTextFields";
import { Field } from "./Field";
import { CAMPAIGN_FIELDS, formErrors } from "./formErrors";
import { useActionForm } from "./useActionForm";

const EMPTY: CampaignFormValues = { title: "", story: "", goal: "", currency: "USD", endsAt: "", publish: true };

/** The new-campaign form: posts to createCampaignAction, which redirects to the new campaign (works without JavaScript). */
/**
 * `currencies`: the codes the configured payment provider can charge (lib/money/currency.ts `chargeableCurrencies`),
 * given by the server page so server and browser render the same options whatever the browser's ICU knows.
 */
export function NewCampaignForm({ minDate, currencies }: { minDate: string; currencies: string[] }) {
  const { state, pending, form } = useActionForm(createCampaignAction, undefined, check);
  /** The browser's refusal (the server's own checks, run before sending), shown until the server answers again. */
  const [refused, setRefused] = useState<{ details: FieldIssue[]; answer: typeof state }>();
  const ref = useRef<HTMLFormElement>(null);
  const v = state?.values ?? EMPTY;
  const error: ActionError | undefined =
    refused && refused.answer === state
      ? { code: "VALIDATION_FAILED", message: INVALID_FIELDS, details: refused.details }
      : state?.error;
  const { fields: errors, form: formError } = formErrors(error, CAMPAIGN_FIELDS);

  function check(data: FormData): boolean {
    const checked = checkCampaignForm(campaignFormValues(data));
    setRefused(checked.ok ? undefined : { details: checked.details, answer: state });
    return checked.ok;
  }

  // Each refusal (the browser's or the server's): focus the first field in error, so it is read out and typed into.
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [refused, state]);

  return (
    <form ref={ref} className="form" {...form} noValidate aria-label="New campaign">
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <CampaignTextFields values={v} errors={errors} storyHint="Why are you raising money? Blank lines separate paragraphs." />
      <div className="field-row">
        <Field id="goal" label="Goal" error={errors.goal}>
          <input
            name="goal"
            type="text"
            inputMode="decimal"
            required
            placeholder="500"
            autoComplete="off"
            defaultValue={v.goal}
          />
        </Field>
        <Field id="currency" label="Currency" error={errors.currency}>
          <select name="currency" defaultValue={v.currency}>
            {currencies.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field id="endsAt" label="End date" error={errors.endsAt} hint="Optional. The campaign ends at the end of this day (UTC).">
        <input name="endsAt" type="date" min={minDate} defaultValue={v.endsAt} />
      </Field>
      <div className="checkbox">
        <input id="publish" name="publish" type="checkbox" defaultChecked={v.publish} />
        <label htmlFor="publish">Publish now</label>
        <span className="muted small">Unchecked keeps the campaign as a private draft.</span>
      </div>
      <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
        {pending ? "Creating…" : "Create campaign"}
      </button>
    </form>
  );
}
