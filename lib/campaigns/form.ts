/**
 * The new-campaign form's fields → POST /api/campaigns's input, checked the same way in the browser (before
 * sending) and in the server action (pure: no server modules).
 */
import type { z } from "zod";
import { checkForm, type FormCheck, formText } from "@/lib/forms";
import { parseAmountInput } from "@/lib/money/input";
import { createCampaignSchema } from "./schemas";
import { endOfDay } from "./status";

/** What the new-campaign form holds, as typed (the goal as a person writes it, the end date as YYYY-MM-DD). */
export interface CampaignFormValues {
  title: string;
  story: string;
  goal: string;
  currency: string;
  endsAt: string;
  publish: boolean;
}

/** The values of a submitted new-campaign form (fields title, story, goal, currency, endsAt, publish). */
export function campaignFormValues(form: FormData): CampaignFormValues {
  return {
    title: formText(form, "title"),
    story: formText(form, "story"),
    goal: formText(form, "goal"),
    currency: formText(form, "currency"),
    endsAt: formText(form, "endsAt"),
    publish: form.has("publish"),
  };
}

/**
 * The form's values as the API's input, checked with its schema: every failing field at once, under the API's
 * names (`goalAmount`: lib/money/input.ts's codes and sentences; `title`, `story`, …: the schema's). The goal is
 * read in the chosen currency ("12,000" USD → 1200000); the campaign ends at the end of `endsAt` (UTC).
 */
export function checkCampaignForm(values: CampaignFormValues): FormCheck<z.infer<typeof createCampaignSchema>> {
  return checkForm(
    createCampaignSchema,
    {
      title: values.title,
      story: values.story,
      currency: values.currency,
      ...(values.endsAt ? { endsAt: endOfDay(values.endsAt) } : {}),
      status: values.publish ? "active" : "draft",
    },
    { goalAmount: parseAmountInput(values.goal, values.currency) },
  );
}
