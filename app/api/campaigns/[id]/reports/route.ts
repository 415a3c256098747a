import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { reportCampaign } from "@/lib/moderation/reports";

type P = { id: string };

/** 201 with a new report; 200 with the reporter's open report of this campaign when there is one already. */
export const POST = operation(API.createCampaignReport, async (req, { id }: P, { body }) => {
  const user = await requireUser(req);
  const input = await body();
  const { report, created } = await reportCampaign(db(), user, id, input);
  return json(report, { status: created ? 201 : 200, headers: { "cache-control": "no-store" } });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed(["POST"]);
