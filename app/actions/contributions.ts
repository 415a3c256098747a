"use server";

import { headers } from "next/headers";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db, services } from "@/lib/app";
import { clientIp } from "@/lib/auth/ratelimit";
import { config } from "@/lib/config";
import { drainAfterSettle } from "@/lib/events/after-settle";
import { publicUrl } from "@/lib/http/public-url";
import { parseAmountInput } from "@/lib/money/input";
import { contribute } from "@/lib/payments/contributions";
import { type ContributionDto, contributeSchema, parseIdempotencyKey } from "@/lib/payments/schemas";

/**
 * Contribute to a campaign (what POST /api/campaigns/{id}/contributions does). Fields: campaignId,
 * idempotencyKey (made by the form: a repeated submission is the same contribution), amount (as typed: lib/money/input.ts),
 * currency, paymentMethod, message, anonymous, subscribeToUpdates (a box: email me this campaign's updates). Answers the contribution, which may still be pending.
 */
export async function contributeAction(
  _prev: ActionResult<ContributionDto> | undefined,
  form: FormData,
): Promise<ActionResult<ContributionDto>> {
  return runAction("contribute", async () => {
    const user = await actionUser();
    const key = parseIdempotencyKey(formText(form, "idempotencyKey") || undefined);
    const campaignId = formText(form, "campaignId");
    const currency = formText(form, "currency");
    const message = formText(form, "message").trim();
    const input = parseForm(
      contributeSchema,
      {
        currency,
        paymentMethod: formText(form, "paymentMethod"),
        ...(message ? { message } : {}),
        anonymous: form.has("anonymous"),
        subscribeToUpdates: form.has("subscribeToUpdates"),
      },
      { amount: parseAmountInput(formText(form, "amount"), currency) },
    );
    const h = await headers();
    const publicOrigin = publicUrl("/", h, config());
    const r = await contribute(db(), services().payments, {
      user,
      campaignId,
      key,
      input,
      publicOrigin,
      clientIp: clientIp(h, config().trustedProxyHops),
    });
    // A payment the provider accepted at once settled in this request.
    if (r.body.status === "succeeded" && !r.replayed) drainAfterSettle(db(), config(), campaignId);
    return r.body;
  });
}
