"use server";

import { refresh } from "next/cache";
import { redirect } from "next/navigation";
import { type ActionResult, actionUser, formText, parseForm, runAction, validated } from "@/lib/actions";
import { db } from "@/lib/app";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { closeCampaignForAbuse, createCampaign, updateCampaign } from "@/lib/campaigns";
import { type CampaignFormValues, campaignFormValues, checkCampaignForm } from "@/lib/campaigns/form";
import { type CampaignDto, closeForAbuseSchema, updateCampaignSchema } from "@/lib/campaigns/schemas";

/** The new-campaign form after a refused submission: the API's error and what was typed. Success redirects. */
export type NewCampaignState = (Extract<ActionResult<CampaignDto>, { ok: false }> & { values: CampaignFormValues }) | undefined;

/**
 * Create a campaign from the new-campaign form (what POST /api/campaigns does), then redirect to its page.
 * Fields: title, story, goal (as typed: lib/money/input.ts), currency, endsAt (a date; the campaign ends at its end, UTC), publish.
 */
export async function createCampaignAction(_prev: NewCampaignState, form: FormData): Promise<NewCampaignState> {
  const values = campaignFormValues(form);
  const r = await runAction("createCampaign", async () => {
    const user = await actionUser();
    return createCampaign(db(), user, validated(checkCampaignForm(values))); // resolves after COMMIT
  });
  if (r.ok) redirect(`/campaigns/${r.data.id}`);
  return { ...r, values };
}

/**
 * Move a campaign to another status (what PATCH /api/campaigns/{id} does with `{ status }`): publish, end,
 * suspend, reinstate. Fields: campaignId, status. The page is rendered again with the new status.
 */
export async function changeCampaignStatusAction(
  _prev: ActionResult<CampaignDto> | undefined,
  form: FormData,
): Promise<ActionResult<CampaignDto>> {
  return runAction("changeCampaignStatus", async () => {
    const user = await actionUser();
    const id = formText(form, "campaignId");
    const input = parseForm(updateCampaignSchema, { status: formText(form, "status") });
    const campaign = await updateCampaign(db(), user, id, input);
    await invalidateCampaigns([id]); // the editor sees the edit at once; the consumer repeats it for everyone
    refresh();
    return campaign;
  });
}

/**
 * Close a campaign for abuse (what POST /api/campaigns/{id}/close-for-abuse does; admins only): it is ended,
 * never paid out, and the scheduler's close-for-abuse job refunds every contribution. Fields: campaignId,
 * reason. The page is rendered again, ended.
 */
export async function closeCampaignForAbuseAction(
  _prev: ActionResult<CampaignDto> | undefined,
  form: FormData,
): Promise<ActionResult<CampaignDto>> {
  return runAction("closeCampaignForAbuse", async () => {
    const user = await actionUser();
    const id = formText(form, "campaignId");
    const input = parseForm(closeForAbuseSchema, { reason: formText(form, "reason") });
    const campaign = await closeCampaignForAbuse(db(), user, id, input);
    await invalidateCampaigns([id]);
    refresh();
    return campaign;
  });
}
