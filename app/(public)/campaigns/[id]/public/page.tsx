import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { CampaignView } from "@/components/CampaignView";
import { campaignForPage, campaignPageMetadata } from "@/components/campaignMetadata";
import { readDb } from "@/lib/app";
import { listCampaignUpdates } from "@/lib/campaigns/updates";
import { listCampaignContributions } from "@/lib/payments/contributions";

/**
 * The campaign page as every visitor without a session sees it, cached whole (Incremental Static Regeneration):
 * the proxy rewrites GET /campaigns/{id} here when the request has no session cookie (proxy.ts). Rendered on the
 * first request for an ID, then served from the cache; a request after REVALIDATE_SECONDS gets the cached page
 * while one fresh render replaces it in the background, so the total and the recent contributions shown are at
 * most about two seconds (plus one render) old. Nothing here may read the request (cookies, headers): that would
 * make it render per request again.
 */
export const revalidate = 2;

/** None at build time (the build has no database): each campaign is rendered on its first visit, then cached. */
export async function generateStaticParams(): Promise<{ id: string }[]> {
  return [];
}

/** Updates shown on the campaign page; "See all updates" leads to the rest. */
const UPDATES_SHOWN = 3;

type Props = { params: Promise<{ id: string }> };

/** The published campaign, or undefined (unknown ID, or a draft: only its creator sees it, on the signed-in page). */
const load = cache((id: string) => campaignForPage(id, async () => undefined));

export function generateMetadata({ params }: Props): Promise<Metadata> {
  return campaignPageMetadata(params, load);
}

export default async function PublicCampaignPage({ params }: Props) {
  const { id } = await params;
  const c = await load(id);
  if (!c) notFound();
  const [recent, updates] = await Promise.all([
    // No session here, so no write of the reader's own to see: these lists may come from a read replica (readDb).
    listCampaignContributions(readDb(), { campaign: c, limit: 10 }),
    listCampaignUpdates(readDb(), c.id, { limit: UPDATES_SHOWN }),
  ]);
  return <CampaignView campaign={c} recent={recent} updates={updates} now={new Date()} />;
}
