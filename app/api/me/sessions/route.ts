import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { signOutEverywhereSchema } from "@/lib/auth/schemas";
import { requireUser } from "@/lib/auth/session";
import { signOutEverywhere } from "@/lib/auth/sign-out";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";

/** Sign out everywhere (lib/auth/sign-out): every browser session of the caller ends; API tokens too if asked. */
export const DELETE = operation(API.signOutEverywhere, async (req) => {
  const user = await requireUser(req);
  const q = signOutEverywhereSchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const done = await signOutEverywhere(db(), services().config, { user, revokeApiTokens: q.data.revokeApiTokens, by: "user" });
  return json(done, { headers: { "cache-control": "no-store" } });
});

export const { GET, POST, PUT, PATCH } = methodNotAllowed(["DELETE"]);
