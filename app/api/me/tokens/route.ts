import { db } from "@/lib/app";
import { createTokenSchema } from "@/lib/auth/schemas";
import { requireUser } from "@/lib/auth/session";
import { createApiToken, listApiTokens } from "@/lib/auth/tokens";
import { json, methodNotAllowed, readJson, route } from "@/lib/http";

export const GET = route(async (req) => {
  const user = await requireUser(req);
  return json({ items: await listApiTokens(db(), user.id) }, { headers: { "cache-control": "private, no-store" } });
});

export const POST = route(async (req) => {
  const user = await requireUser(req);
  const { name } = await readJson(req, createTokenSchema);
  const { token, info } = await createApiToken(db(), { userId: user.id, name });
  return json({ ...info, token }, { status: 201, headers: { "cache-control": "no-store" } });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
