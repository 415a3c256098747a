import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { config } from "@/lib/config";
import { drainAfterSettle } from "@/lib/events/after-settle";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { listRefunds, refundContribution } from "@/lib/payments/refunds";
import { parseIdempotencyKey } from "@/lib/payments/schemas";

type P = { id: string };

export const POST = operation(API.createRefund, async (req, { id }: P, { body }) => {
  const user = await requireUser(req);
  const key = parseIdempotencyKey(req.headers.get("idempotency-key") ?? undefined);
  const input = await body();
  const r = await refundContribution(db(), services().payments, {
    actor: user,
    contributionId: id,
    key: `${user.id}:${key}`,
    input,
  });
  if (!r.replayed) drainAfterSettle(db(), config(), r.body.campaignId);
  return json(r.body, { status: r.status, headers: { "idempotent-replayed": String(r.replayed), "cache-control": "no-store" } });
});

export const GET = operation(API.listContributionRefunds, async (req, { id }: P) => {
  const user = await requireUser(req);
  return json({ items: await listRefunds(db(), user, id) }, { headers: { "cache-control": "private, no-store" } });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
