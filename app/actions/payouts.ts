"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { type ActionResult, actionUser, runAction } from "@/lib/actions";
import { db, services } from "@/lib/app";
import { config } from "@/lib/config";
import { publicUrl } from "@/lib/http/public-url";
import { connectPayoutAccount, type PayoutAccountDto } from "@/lib/payouts";

/**
 * Connect (or finish connecting) the signed-in user's payout account (what POST /api/me/payout-account
 * does), then redirect to the provider's onboarding page, which returns to /settings/payouts.
 * Answers only when refused (e.g. PAYOUT_PROVIDER_UNAVAILABLE).
 */
export async function connectPayoutAccountAction(
  _prev: ActionResult<{ account: PayoutAccountDto; onboardingUrl: string }> | undefined,
): Promise<ActionResult<{ account: PayoutAccountDto; onboardingUrl: string }>> {
  const r = await runAction("connectPayoutAccount", async () => {
    const user = await actionUser();
    const page = publicUrl("/settings/payouts", await headers(), config());
    return connectPayoutAccount(db(), services().payouts, user, { returnUrl: page, refreshUrl: page });
  });
  if (r.ok) redirect(r.data.onboardingUrl);
  return r;
}
