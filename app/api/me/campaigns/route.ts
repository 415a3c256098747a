import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { listCreatorCampaigns } from "@/lib/campaigns";
import { listQuerySchema } from "@/lib/campaigns/schemas";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";

export const GET = operation(API.listMyCampaigns, async (req) => {
  const user = await requireUser(req);
  const q = listQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const page = await listCreatorCampaigns(db(), { creatorId: user.id, ...q.data });
  return json(page, { headers: { "cache-control": "private, no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
