import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";
import { listAdminActions } from "@/lib/moderation/audit";
import { auditQuerySchema } from "@/lib/moderation/schemas";

export const GET = operation(API.listAdminAudit, async (req) => {
  const user = await requireUser(req);
  const q = auditQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const page = await listAdminActions(db(), user, q.data);
  return json(page, { headers: { "cache-control": "private, no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
