import { validate as isUuid } from "uuid";
import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { revokeApiToken } from "@/lib/auth/tokens";
import { AppError } from "@/lib/errors";
import { json, methodNotAllowed, operation } from "@/lib/http";

export const DELETE = operation(API.revokeToken, async (req, { id }: { id: string }) => {
  const user = await requireUser(req);
  if (!isUuid(id)) throw new AppError("TOKEN_NOT_FOUND", "No such token");
  return json(await revokeApiToken(db(), { userId: user.id, tokenId: id }));
});

export const { GET, POST, PUT, PATCH } = methodNotAllowed(["DELETE"]);
