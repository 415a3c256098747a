import type { Metadata } from "next";
import { db } from "@/lib/app";
import { readCampaign } from "@/lib/cache/campaigns";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { AppError } from "@/lib/errors";
import type { PublicUser } from "@/lib/users";
import { formatMoney } from "./format";

/**
 * A campaign page's metadata, the same for the signed-in and the cached signed-out view: its title, a description
 * (raised of goal, then the story's start), the canonical address /campaigns/{id} (the signed-out view lives at an
 * internal rewrite), and Open Graph and Twitter card tags with the picture from /og/campaigns/{id}. Relative URLs
 * become absolute on the root layout's metadataBase (NEXTAUTH_URL). `c` undefined: an unknown ID or a draft.
 */
export function campaignMetadata(id: string, c: CampaignDto | undefined): Metadata {
  if (!c) return { title: "Campaign not found" };
  const url = `/campaigns/${id}`;
  const story = c.story.replace(/\s+/g, " ").trim();
  const description = `${formatMoney(c.collectedAmount, c.currency)} raised of ${formatMoney(c.goalAmount, c.currency)}. ${
    story.length > 160 ? `${story.slice(0, 157)}…` : story
  }`;
  const image = { url: `/og/campaigns/${id}`, width: 1200, height: 630, alt: `${c.title}: progress towards its goal` };
  return {
    title: c.title,
    description,
    alternates: { canonical: url },
    openGraph: { type: "website", url, title: c.title, description, siteName: "Crowdfund", images: [image] },
    twitter: { card: "summary_large_image", title: c.title, description, images: [image] },
  };
}

/**
 * The campaign a page shows (readCampaign, through the caches), or undefined for an unknown ID or a draft `viewer`
 * may not see; other errors (the database unavailable) pass through. Both campaign views read it this way.
 */
export async function campaignForPage(
  id: string,
  viewer: () => Promise<PublicUser | undefined>,
): Promise<CampaignDto | undefined> {
  try {
    return (await readCampaign(db(), id, viewer)).campaign;
  } catch (err) {
    if (err instanceof AppError) return undefined;
    throw err;
  }
}

/**
 * generateMetadata of both campaign views: campaignMetadata of `load(id)`, and never a throw. When the database is
 * unavailable the page's own render fails and answers the outage; a rejected metadata promise beside it would be
 * left unhandled.
 */
export async function campaignPageMetadata(
  params: Promise<{ id: string }>,
  load: (id: string) => Promise<CampaignDto | undefined>,
): Promise<Metadata> {
  try {
    const { id } = await params;
    return campaignMetadata(id, await load(id));
  } catch {
    return { title: "Campaign" };
  }
}

/**
 * generateMetadata of a campaign's sub-pages (its updates, its donor wall): "<label>: <title>", or "Campaign not
 * found" for an unknown ID, a draft the viewer may not see, or a failed read (never a throw, as campaignPageMetadata).
 */
export async function campaignSubpageMetadata(
  params: Promise<{ id: string }>,
  label: string,
  viewer: () => Promise<PublicUser | undefined>,
): Promise<Metadata> {
  const c = await campaignForPage((await params).id, viewer).catch(() => undefined);
  return { title: c ? `${label}: ${c.title}` : "Campaign not found" };
}
