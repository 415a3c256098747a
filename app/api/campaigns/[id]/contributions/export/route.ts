import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { methodNotAllowed, operation } from "@/lib/http";
import { exportCampaignContributions } from "@/lib/payments/export";

type P = { id: string };

/** A file name from the campaign's title: letters, digits and dashes only (it goes into a header). */
const fileName = (title: string, id: string) =>
  `${
    title
      .normalize("NFKD")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "campaign"
  }-${id.slice(0, 8)}-contributions.csv`;

export const GET = operation(API.exportCampaignContributions, async (req, { id }: P) => {
  const user = await requireUser(req);
  const { campaign, body } = await exportCampaignContributions(db(), user, id);
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${fileName(campaign.title, campaign.id)}"`,
      "cache-control": "private, no-store",
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
