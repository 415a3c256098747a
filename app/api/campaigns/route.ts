import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { createCampaign } from "@/lib/campaigns";
import { json, methodNotAllowed, operation } from "@/lib/http";

export const POST = operation(API.createCampaign, async (req, _params, { body }) => {
  const user = await requireUser(req);
  const input = await body();
  const campaign = await createCampaign(db(), user, input); // resolves after COMMIT
  return json(campaign, { status: 201, headers: { location: `/api/campaigns/${campaign.id}` } });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
