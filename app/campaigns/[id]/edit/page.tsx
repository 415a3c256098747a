import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AssetManager } from "@/components/AssetManager";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { getCampaign } from "@/lib/campaigns";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Edit campaign" };

type Props = { params: Promise<{ id: string }> };

/** The creator's edit page (the proxy already required a session): pictures and videos. */
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
      <h1>{campaign.title}</h1>
      {campaign.status === "ended" ? (
        <p className="muted">This campaign has ended; its pictures and videos can no longer change.</p>
      ) : (
        <AssetManager
          campaignId={campaign.id}
          initial={campaign.assets}
          maxImageBytes={c.ASSET_MAX_IMAGE_BYTES}
          maxVideoBytes={c.ASSET_MAX_VIDEO_BYTES}
          maxAssets={c.ASSET_MAX_PER_CAMPAIGN}
        />
      )}
    </article>
  );
}
