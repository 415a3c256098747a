import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { currentUser, requireUser } from "@/lib/auth/session";
import { invalidateCampaigns, readCampaign } from "@/lib/cache/campaigns";
import { listQuerySchema } from "@/lib/campaigns/schemas";
import { listCampaignUpdates, postCampaignUpdate } from "@/lib/campaigns/updates";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";

type P = { id: string };

/** Post an update (the campaign's creator); the cached campaign page shows it at once (invalidateCampaigns). */
export const POST = operation(API.postCampaignUpdate, async (req, { id }: P, { body }) => {
  const user = await requireUser(req);
  const update = await postCampaignUpdate(db(), user, id, await body());
  await invalidateCampaigns([id]);
  return json(update, { status: 201, headers: { "cache-control": "no-store" } });
});

/** A page of the campaign's updates, newest first; a draft's only for whoever may see the draft (readCampaign). */
export const GET = operation(API.listCampaignUpdates, async (req, { id }: P) => {
  const q = listQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const { isPublic } = await readCampaign(db(), id, () => currentUser(req));
  const page = await listCampaignUpdates(db(), id, q.data);
  return json(page, { headers: { "cache-control": isPublic ? "no-cache" : "private, no-store" } });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
