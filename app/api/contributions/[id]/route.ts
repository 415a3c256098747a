import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { getOwnContribution } from "@/lib/payments/contributions";

export const GET = operation(API.getContribution, async (req, { id }: { id: string }) => {
  const user = await requireUser(req);
  return json(await getOwnContribution(db(), services().payments, user, id), {
    headers: { "cache-control": "private, no-store" },
  });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
