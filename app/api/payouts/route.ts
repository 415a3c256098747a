import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";
import { listCreatorPayouts } from "@/lib/payouts";
import { payoutListQuerySchema } from "@/lib/payouts/schemas";

/** The signed-in creator's own payouts (invariant 7 in docs/architecture.md: only the creator sees payout details). */
export const GET = operation(API.listMyPayouts, async (req) => {
  const user = await requireUser(req);
  const q = payoutListQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const page = await listCreatorPayouts(db(), { creatorId: user.id, ...q.data });
  return json(page, { headers: { "cache-control": "private, no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
