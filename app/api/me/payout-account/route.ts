import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { config } from "@/lib/config";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { publicUrl } from "@/lib/http/public-url";
import { connectPayoutAccount, getPayoutAccount } from "@/lib/payouts";

const noStore = { "cache-control": "private, no-store" };

/** My payout account with the provider in use (refreshed from it), or null. */
export const GET = operation(API.getPayoutAccount, async (req) => {
  const user = await requireUser(req);
  return json({ account: await getPayoutAccount(db(), services().payouts, user.id) }, { headers: noStore });
});

/** Connect one (made once), and get the provider's onboarding URL to finish it. */
export const POST = operation(API.connectPayoutAccount, async (req) => {
  const user = await requireUser(req);
  // Not req.url's origin: that is the address the server is bound to (0.0.0.0), where no browser comes back.
  const page = publicUrl("/settings/payouts", req.headers, config());
  const out = await connectPayoutAccount(db(), services().payouts, user, { returnUrl: page, refreshUrl: page });
  return json(out, { status: 201, headers: noStore });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
