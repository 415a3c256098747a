import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, route } from "@/lib/http";
import { getOwnContribution } from "@/lib/payments/contributions";

export const GET = route<{ id: string }>(async (req, { id }) => {
  const user = await requireUser(req);
  return json(await getOwnContribution(db(), user, id), { headers: { "cache-control": "private, no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
