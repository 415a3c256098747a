import { after } from "next/server";
import { db } from "@/db/client";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { drainFromRequest } from "@/lib/events";
import { json, methodNotAllowed, readText, route } from "@/lib/http";
import { contributeDeps } from "@/lib/payments";
import { handleStripeWebhook, MAX_WEBHOOK_BYTES } from "@/lib/payments/webhook";

// Stripe (or the sandbox) calls this; it authenticates by signature, not by session.
export const POST = route(async (req) => {
  const raw = await readText(req, MAX_WEBHOOK_BYTES);
  if (!raw) throw new AppError("VALIDATION_FAILED", "Empty webhook body");
  const { provider, feeBps } = contributeDeps(db());
  const c = config();
  // Where no consumer runs in the background (Vercel), the new total is applied right after the answer.
  const onSettled = c.drainAfterSettle
    ? (campaignId: string) => after(() => drainFromRequest(db(), c, { budgetMs: 2000, campaignId }).then(() => {}))
    : undefined;
  const result = await handleStripeWebhook(db(), { provider, feeBps, onSettled }, raw, req.headers.get("stripe-signature"));
  return json(result); // only after the settlement transaction committed
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
