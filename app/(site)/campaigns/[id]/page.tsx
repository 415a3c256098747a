import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { CampaignView } from "@/components/CampaignView";
import { campaignForPage, campaignPageMetadata } from "@/components/campaignMetadata";
import type { Move } from "@/components/OwnerPanel";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { statusReasonFor } from "@/lib/campaigns";
import type { CampaignStatus } from "@/lib/campaigns/schemas";
import { movesFor } from "@/lib/campaigns/status";
import { listCampaignUpdates } from "@/lib/campaigns/updates";
import { listCampaignContributions } from "@/lib/payments/contributions";

// The signed-in view (the proxy sends visitors without a session to the cached app/(public) one).
export const dynamic = "force-dynamic";

/** Updates shown on the campaign page; "See all updates" leads to the rest. */
const UPDATES_SHOWN = 3;

type Props = { params: Promise<{ id: string }> };

/**
 * The campaign as the viewer may see it, or undefined (unknown ID, or someone else's draft): the
 * same read as GET /api/campaigns/{id}, so a published campaign comes from the cache.
 */
const load = cache((id: string) => campaignForPage(id, sessionUser));

export function generateMetadata({ params }: Props): Promise<Metadata> {
  return campaignPageMetadata(params, load);
}

const MOVE_LABELS: Record<CampaignStatus, string> = {
  active: "Publish",
  ended: "End campaign",
  suspended: "Suspend",
  draft: "Back to draft",
};

/** A button for a move lib/campaigns/status.ts allows; back to active is a reinstatement or a reopening. */
function moveButton(from: CampaignStatus, to: CampaignStatus): Move {
  const label =
    to === "active" && from === "suspended" ? "Reinstate" : to === "active" && from === "ended" ? "Reopen" : MOVE_LABELS[to];
  return { status: to, label, primary: to === "active" };
}

export default async function CampaignPage({ params }: Props) {
  const { id } = await params;
  const c = await load(id);
  if (!c) notFound();
  const user = await sessionUser();
  const now = new Date();
  const moves = movesFor({ ...c, creatorId: c.creator.id }, user, now).map((to) => moveButton(c.status, to));
  // Why it is suspended or ended, for its creator and admins only (donors see the public notice alone).
  const reason = c.status === "suspended" || c.status === "ended" ? await statusReasonFor(db(), c.id, user) : undefined;
  const [recent, updates] = await Promise.all([
    listCampaignContributions(db(), { campaign: c, limit: 10 }),
    listCampaignUpdates(db(), c.id, { limit: UPDATES_SHOWN }),
  ]);
  return (
    <CampaignView
      campaign={c}
      recent={recent}
      updates={updates}
      now={now}
      viewer={
        user && {
          user,
          isOwner: user.id === c.creator.id,
          moves,
          canCloseForAbuse: user.role === "admin" && !c.closedForAbuse,
          reason,
        }
      }
    />
  );
}
