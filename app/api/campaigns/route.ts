import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { createCampaign } from "@/lib/campaigns";
import { createCampaignSchema } from "@/lib/campaigns/schemas";
import { json, methodNotAllowed, readJson, route } from "@/lib/http";

export const POST = route(async (req) => {
  const user = await requireUser(req);
  const input = await readJson(req, createCampaignSchema);
  const campaign = await createCampaign(db(), user, input); // resolves after COMMIT
  return json(campaign, { status: 201, headers: { location: `/api/campaigns/${campaign.id}` } });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
