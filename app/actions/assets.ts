"use server";

import { refresh } from "next/cache";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db } from "@/lib/app";
import { deleteAsset, reorderAssets } from "@/lib/assets";
import type { AssetDto } from "@/lib/assets/schemas";
import { reorderAssetsSchema } from "@/lib/assets/schemas";
import { forgetAsset } from "@/lib/assets/serve";
import { assetStorage } from "@/lib/assets/storage";
import { invalidateCampaigns } from "@/lib/cache/campaigns";

/**
 * Put a campaign's pictures and videos in a new order (what PATCH /api/campaigns/{id}/assets does).
 * Fields: campaignId, order (every asset ID, comma-separated, cover first). Answers the assets in order.
 */
export async function reorderAssetsAction(
  _prev: ActionResult<{ items: AssetDto[] }> | undefined,
  form: FormData,
): Promise<ActionResult<{ items: AssetDto[] }>> {
  return runAction("reorderAssets", async () => {
    const user = await actionUser();
    const id = formText(form, "campaignId");
    const { order } = parseForm(reorderAssetsSchema, { order: formText(form, "order").split(",") });
    const items = await reorderAssets(db(), user, id, order);
    await invalidateCampaigns([id]);
    refresh();
    return { items };
  });
}

/** Remove a picture or video (what DELETE /api/assets/{id} does): its row at once, its objects right after. Field: assetId. */
export async function removeAssetAction(_prev: ActionResult<null> | undefined, form: FormData): Promise<ActionResult<null>> {
  return runAction("removeAsset", async () => {
    const user = await actionUser();
    const id = formText(form, "assetId");
    const { campaignId } = await deleteAsset(db(), assetStorage(), user, id);
    forgetAsset(id);
    await invalidateCampaigns([campaignId]);
    refresh();
    return null;
  });
}
