import { API } from "@/lib/api/operations";
import { db, services } from "@/lib/app";
import { clientIp } from "@/lib/auth/ratelimit";
import { currentUser, requireUser } from "@/lib/auth/session";
import { readCampaign } from "@/lib/cache/campaigns";
import { listQuerySchema } from "@/lib/campaigns/schemas";
import { config } from "@/lib/config";
import { drainAfterSettle } from "@/lib/events/after-settle";
import { json, methodNotAllowed, operation, validationError } from "@/lib/http";
import { publicUrl } from "@/lib/http/public-url";
import { contribute, listCampaignContributions } from "@/lib/payments/contributions";
import { parseIdempotencyKey } from "@/lib/payments/schemas";

type P = { id: string };

export const POST = operation(API.createContribution, async (req, { id }: P, { body }) => {
  const user = await requireUser(req);
  const key = parseIdempotencyKey(req.headers.get("idempotency-key") ?? undefined);
  const input = await body();
  const publicOrigin = publicUrl("/", req.headers, config());
  const r = await contribute(db(), services().payments, {
    user,
    campaignId: id,
    key,
    input,
    publicOrigin,
    clientIp: clientIp(req.headers, config().trustedProxyHops),
  });
  // A payment the provider accepted at once settled in this request.
  if (r.body.status === "succeeded" && !r.replayed) drainAfterSettle(db(), config(), id);
  return json(r.body, { status: r.status, headers: { "idempotent-replayed": String(r.replayed), "cache-control": "no-store" } });
});

export const GET = operation(API.listCampaignContributions, async (req, { id }: P) => {
  const q = listQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw validationError(q.error);
  const viewer = await currentUser(req); // before the campaign, as ever: a bad token is a 401 on any campaign
  const { campaign } = await readCampaign(db(), id, async () => viewer);
  const page = await listCampaignContributions(db(), { campaign, ...q.data });
  return json(page, { headers: { "cache-control": "no-cache" } });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
