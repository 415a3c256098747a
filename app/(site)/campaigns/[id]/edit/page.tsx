import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AssetManager } from "@/components/AssetManager";
import { EditCampaignForm } from "@/components/EditCampaignForm";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { getCampaign } from "@/lib/campaigns";
import { contentEditable, firstEndDate } from "@/lib/campaigns/status";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Edit campaign" };

type Props = { params: Promise<{ id: string }> };

/**
 * The creator's edit page (the proxy already required a session): title, story, goal and end date, then
 * pictures and videos, while lib/campaigns/status.ts `contentEditable` allows (a draft or an active campaign).
 */
export default async function EditCampaignPage({ params }: Props) {
  const { id } = await params;
  const user = await sessionUser();
  const campaign = await getCampaign(db(), id, user).catch((err) => {
    if (err instanceof AppError) return undefined;
    throw err;
  });
  if (!campaign || campaign.creator.id !== user?.id) notFound();
  const c = config();
  return (
    <article className="edit-campaign">
      <p>
        <Link href={`/campaigns/${campaign.id}`}>← Back to the campaign</Link>
      </p>
      <h1>Edit “{campaign.title}”</h1>
      {contentEditable(campaign.status) ? (
        <>
          <section className="card" aria-labelledby="details-heading">
            <h2 id="details-heading">Details</h2>
            <EditCampaignForm campaign={campaign} minDate={firstEndDate(new Date())} />
          </section>
          <AssetManager
            campaignId={campaign.id}
            initial={campaign.assets}
            maxImageBytes={c.ASSET_MAX_IMAGE_BYTES}
            maxVideoBytes={c.ASSET_MAX_VIDEO_BYTES}
            maxAssets={c.ASSET_MAX_PER_CAMPAIGN}
          />
        </>
      ) : (
        <p className="notice" role="status">
          {campaign.status === "suspended"
            ? "This campaign is suspended: it cannot change until an admin reinstates it."
            : "This campaign has ended; it can no longer change."}
        </p>
      )}
    </article>
  );
}
