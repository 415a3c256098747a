"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db, services } from "@/lib/app";
import { signOutEverywhereSchema } from "@/lib/auth/schemas";
import { signOutEverywhere } from "@/lib/auth/sign-out";

/** next-auth's session cookie, with the `__Secure-` prefix it takes over HTTPS and the `.N` of a chunked one. */
const SESSION_COOKIE = /^(__Secure-)?next-auth\.session-token(\.\d+)?$/;

/**
 * "Sign out everywhere" (settings page /settings/sessions; what DELETE /api/me/sessions does). Field:
 * revokeApiTokens = true to revoke every API token too (a checkbox; absent = false). Every browser session of
 * the signed-in user ends, this one too, whose cookie is cleared; then on to the sign-in page. UNAUTHENTICATED
 * when not signed in, VALIDATION_FAILED for another value of the field.
 */
export async function signOutEverywhereAction(
  _prev: ActionResult<never> | undefined,
  form: FormData,
): Promise<ActionResult<never>> {
  return runAction("signOutEverywhere", async () => {
    const user = await actionUser();
    const raw = formText(form, "revokeApiTokens");
    const { revokeApiTokens } = parseForm(signOutEverywhereSchema, raw ? { revokeApiTokens: raw } : {});
    await signOutEverywhere(db(), services().config, { user, revokeApiTokens, by: "user" });
    const jar = await cookies();
    for (const c of jar.getAll()) {
      if (!SESSION_COOKIE.test(c.name)) continue;
      // a __Secure- cookie is only replaced by one set with Secure
      jar.set(c.name, "", { maxAge: 0, path: "/", httpOnly: true, sameSite: "lax", secure: c.name.startsWith("__Secure-") });
    }
    redirect("/signin?signedOut=everywhere");
  });
}
