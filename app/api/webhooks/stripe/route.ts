import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { drainAfterSettle } from "@/lib/events/after-settle";
import { json, methodNotAllowed, operation, readText } from "@/lib/http";
import { handleStripeWebhook, MAX_WEBHOOK_BYTES } from "@/lib/payments/webhook";

// Stripe (or the sandbox) calls this; it authenticates by signature, not by session.
export const POST = operation(API.receiveStripeWebhook, async (req) => {
  const raw = await readText(req, MAX_WEBHOOK_BYTES);
  if (!raw) throw new AppError("VALIDATION_FAILED", "Empty webhook body");
  const { provider, feeBps, cardTesting } = services().payments;
  const onSettled = (campaignId: string) => drainAfterSettle(db(), config(), campaignId);
  const result = await handleStripeWebhook(
    db(),
    { provider, feeBps, onSettled, declines: cardTesting },
    raw,
    req.headers.get("stripe-signature"),
  );
  return json(result); // only after the settlement transaction committed
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
