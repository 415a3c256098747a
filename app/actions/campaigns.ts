"use server";

import { refresh } from "next/cache";
import { redirect } from "next/navigation";
import { type ActionResult, actionUser, formText, parseForm, runAction, validated } from "@/lib/actions";
import { db } from "@/lib/app";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { closeCampaignForAbuse, createCampaign, getCampaign, updateCampaign } from "@/lib/campaigns";
import { type CampaignFormValues, campaignFormValues, checkCampaignForm } from "@/lib/campaigns/form";
import { type CampaignDto, closeForAbuseSchema, type UpdateCampaignInput, updateCampaignSchema } from "@/lib/campaigns/schemas";
import { endOfDay } from "@/lib/campaigns/status";
import { parseAmountInput } from "@/lib/money/input";

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

/** What the edit form holds, as typed (the goal in major units, the end date as YYYY-MM-DD or "" for none). */
export interface CampaignEditValues {
  title: string;
  story: string;
  goal: string;
  endsAt: string;
}

/** The edit form after a refused submission: the API's error and what was typed. Success redirects. */
export type EditCampaignState = (Extract<ActionResult<CampaignDto>, { ok: false }> & { values: CampaignEditValues }) | undefined;

/**
 * Change a campaign's title, story, goal and end date from its edit page (what PATCH /api/campaigns/{id} does,
 * through the same schema and `updateCampaign`), then redirect to its page. Fields: campaignId, title, story,
 * goal (major units of the campaign's currency), endsAt (a date, the campaign ending at its end, UTC; empty for
 * no end date). Only what differs from the campaign is sent, so an end date already passed does not block a new
 * title; nothing changed is no update. Errors are the API's (VALIDATION_FAILED per field, CAMPAIGN_CLOSED, …).
 */
export async function editCampaignAction(_prev: EditCampaignState, form: FormData): Promise<EditCampaignState> {
  const id = formText(form, "campaignId");
  const values: CampaignEditValues = {
    title: formText(form, "title"),
    story: formText(form, "story"),
    goal: formText(form, "goal"),
    endsAt: formText(form, "endsAt"),
  };
  const r = await runAction("editCampaign", async () => {
    const user = await actionUser();
    const c = await getCampaign(db(), id, user);
    const goal = parseAmountInput(values.goal, c.currency);
    const changes: Record<string, unknown> = {};
    const amounts: Record<string, typeof goal> = {};
    if (values.title !== c.title) changes.title = values.title;
    if (values.story.replaceAll("\r\n", "\n") !== c.story) changes.story = values.story;
    if (!goal.ok || goal.amount !== c.goalAmount) amounts.goalAmount = goal;
    if (values.endsAt !== (c.endsAt?.slice(0, 10) ?? "")) changes.endsAt = values.endsAt ? endOfDay(values.endsAt) : null;
    if (Object.keys(changes).length + Object.keys(amounts).length === 0) return c;
    const input: UpdateCampaignInput = parseForm(updateCampaignSchema, changes, amounts);
    const campaign = await updateCampaign(db(), user, id, input);
    await invalidateCampaigns([id]); // the editor sees the edit at once; the consumer repeats it for everyone
    return campaign;
  });
  if (r.ok) redirect(`/campaigns/${r.data.id}`);
  return { ...r, values };
}

/**
 * Move a campaign to another status (what PATCH /api/campaigns/{id} does with `{ status, reason }`): publish,
 * end, reopen, suspend, reinstate. Fields: campaignId, status, reason (blank is none: required to suspend,
 * optional to end). The page is rendered again with the new status.
 */
export async function changeCampaignStatusAction(
  _prev: ActionResult<CampaignDto> | undefined,
  form: FormData,
): Promise<ActionResult<CampaignDto>> {
  return runAction("changeCampaignStatus", async () => {
    const user = await actionUser();
    const id = formText(form, "campaignId");
    const reason = formText(form, "reason").trim();
    const input = parseForm(updateCampaignSchema, { status: formText(form, "status"), ...(reason ? { reason } : {}) });
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
