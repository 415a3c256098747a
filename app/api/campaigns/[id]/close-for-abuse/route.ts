import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { invalidateCampaigns } from "@/lib/cache/campaigns";
import { closeCampaignForAbuse } from "@/lib/campaigns";
import { json, methodNotAllowed, operation } from "@/lib/http";

type P = { id: string };

/** The decision only (202): the refunds are the close-for-abuse job's (scheduler role, or the CLI). */
export const POST = operation(API.closeCampaignForAbuse, async (req, { id }: P, { body }) => {
  const user = await requireUser(req);
  const input = await body();
  const campaign = await closeCampaignForAbuse(db(), user, id, input);
  await invalidateCampaigns([id]); // ended at once for everyone reading through the cache
  return json(campaign, { status: 202, headers: { "cache-control": "no-store" } });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
