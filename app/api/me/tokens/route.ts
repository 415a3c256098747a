import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { listApiTokens, mintApiToken } from "@/lib/auth/tokens";
import { json, methodNotAllowed, operation } from "@/lib/http";

export const GET = operation(API.listMyTokens, async (req) => {
  const user = await requireUser(req);
  return json({ items: await listApiTokens(db(), user.id) }, { headers: { "cache-control": "private, no-store" } });
});

export const POST = operation(API.createToken, async (req, _params, { body }) => {
  const user = await requireUser(req);
  const { name } = await body();
  const s = services();
  const deps = { db: s.db, mint: s.auth.mint, maxActive: s.config.API_TOKENS_MAX_PER_USER };
  const { token, info } = await mintApiToken(deps, { userId: user.id, name });
  return json({ ...info, token }, { status: 201, headers: { "cache-control": "no-store" } });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
