"use client";

import { type CampaignEditValues, editCampaignAction } from "@/app/actions/campaigns";
import { CampaignTextFields } from "./CampaignTextFields";
import { majorText } from "./contribute";
import { Field } from "./Field";
import { CAMPAIGN_FIELDS, formErrors } from "./formErrors";
import { useActionForm } from "./useActionForm";

interface Props {
  campaign: { id: string; title: string; story: string; goalAmount: number; currency: string; endsAt: string | null };
  /** The earliest end date to offer (YYYY-MM-DD): lib/campaigns/status.ts `firstEndDate`, the server's rule. */
  minDate: string;
}

/**
 * The creator's form for a campaign's title, story, goal and end date: posts to editCampaignAction, which
 * redirects to the campaign (works without JavaScript); a refused field's error shows next to it.
 */
export function EditCampaignForm({ campaign: c, minDate }: Props) {
  const { state, pending, form } = useActionForm(editCampaignAction, undefined);
  const v: CampaignEditValues = state?.values ?? {
    title: c.title,
    story: c.story,
    goal: majorText(c.goalAmount, c.currency),
    endsAt: c.endsAt?.slice(0, 10) ?? "",
  };
  const { fields: errors, form: formError } = formErrors(state?.error, CAMPAIGN_FIELDS);

  return (
    <form className="form" {...form} noValidate aria-label="Campaign details">
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <input type="hidden" name="campaignId" value={c.id} />
      <CampaignTextFields values={v} errors={errors} storyHint="Blank lines separate paragraphs." />
      <Field id="goal" label={`Goal (${c.currency})`} error={errors.goal} hint="The currency cannot change.">
        <input name="goal" type="text" inputMode="decimal" required autoComplete="off" defaultValue={v.goal} />
      </Field>
      <Field
        id="endsAt"
        label="End date"
        error={errors.endsAt}
        hint="The campaign ends at the end of this day (UTC). Leave empty for no end date."
      >
        <input name="endsAt" type="date" min={minDate} defaultValue={v.endsAt} />
      </Field>
      <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
        {pending ? "Saving…" : "Save changes"}
      </button>
    </form>
  );
}
