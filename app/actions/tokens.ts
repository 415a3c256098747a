"use server";

import { refresh } from "next/cache";
import { validate as isUuid } from "uuid";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db, services } from "@/lib/app";
import { createTokenSchema } from "@/lib/auth/schemas";
import { mintApiToken, revokeApiToken, type TokenDto, tokenDto } from "@/lib/auth/tokens";
import { AppError } from "@/lib/errors";

/**
 * Create an API token for the signed-in user (what POST /api/me/tokens does). Field: name.
 * Answers the token with its secret (shown once); the page is rendered again with it listed.
 */
export async function createTokenAction(
  _prev: ActionResult<TokenDto & { token: string }> | undefined,
  form: FormData,
): Promise<ActionResult<TokenDto & { token: string }>> {
  return runAction("createToken", async () => {
    const user = await actionUser();
    const { name } = parseForm(createTokenSchema, { name: formText(form, "name") });
    const s = services();
    const deps = { db: s.db, mint: s.auth.mint, maxActive: s.config.API_TOKENS_MAX_PER_USER };
    const { token, info } = await mintApiToken(deps, { userId: user.id, name });
    refresh();
    return { ...tokenDto(info), token };
  });
}

/** Revoke one of the signed-in user's tokens (what DELETE /api/me/tokens/{id} does). Field: tokenId. */
export async function revokeTokenAction(
  _prev: ActionResult<TokenDto> | undefined,
  form: FormData,
): Promise<ActionResult<TokenDto>> {
  return runAction("revokeToken", async () => {
    const user = await actionUser();
    const id = formText(form, "tokenId");
    if (!isUuid(id)) throw new AppError("TOKEN_NOT_FOUND", "No such token");
    const info = await revokeApiToken(db(), { userId: user.id, tokenId: id });
    refresh();
    return tokenDto(info);
  });
}
