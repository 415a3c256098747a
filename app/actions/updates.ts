"use server";

import { refresh } from "next/cache";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db } from "@/lib/app";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { type CampaignUpdateDto, postUpdateSchema } from "@/lib/campaigns/schemas";
import { postCampaignUpdate } from "@/lib/campaigns/updates";

/**
 * Post an update from the campaign page's form (what POST /api/campaigns/{id}/updates does, through the same
 * schema and `postCampaignUpdate`). Fields: campaignId, body, assetId (one of the campaign's pictures; empty for
 * none). Marks the campaign's cached page stale (invalidateCampaigns) so every visitor sees the update at once,
 * and refreshes the poster's page. Errors are the API's (VALIDATION_FAILED per field, FORBIDDEN, CAMPAIGN_CLOSED…).
 */
export async function postUpdateAction(
  _prev: ActionResult<CampaignUpdateDto> | undefined,
  form: FormData,
): Promise<ActionResult<CampaignUpdateDto>> {
  return runAction("postUpdate", async () => {
    const user = await actionUser();
    const campaignId = formText(form, "campaignId");
    const assetId = formText(form, "assetId");
    const input = parseForm(postUpdateSchema, { body: formText(form, "body"), ...(assetId ? { assetId } : {}) });
    const update = await postCampaignUpdate(db(), user, campaignId, input);
    await invalidateCampaigns([campaignId]);
    refresh();
    return update;
  });
}
