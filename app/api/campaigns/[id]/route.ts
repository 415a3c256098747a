import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { currentUser, requireUser } from "@/lib/auth/session";
import { invalidateCampaigns, readCampaign } from "@/lib/cache/campaigns";
import { updateCampaign } from "@/lib/campaigns";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { publicJson } from "@/lib/http/etag";

type P = { id: string };

export const GET = operation(API.getCampaign, async (req, { id }: P) => {
  const { campaign, isPublic } = await readCampaign(db(), id, () => currentUser(req));
  if (isPublic) return publicJson(req, campaign, { sMaxAge: 1, swr: 5 });
  // A draft: only its creator (or an admin) sees it, never through a shared cache.
  return json(campaign, { headers: { "cache-control": "private, no-store" } });
});

export const PATCH = operation(API.updateCampaign, async (req, { id }: P, { body }) => {
  const user = await requireUser(req);
  const input = await body();
  const campaign = await updateCampaign(db(), user, id, input);
  await invalidateCampaigns([id]); // the editor sees the edit at once; the consumer repeats it for everyone
  return json(campaign);
});

export const { POST, PUT, DELETE } = methodNotAllowed(["GET", "PATCH"]);
