import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { UpdateList } from "@/components/CampaignUpdates";
import { campaignForPage, campaignSubpageMetadata } from "@/components/campaignMetadata";
import { Pager } from "@/components/Pager";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { pageCursor } from "@/lib/campaigns/schemas";
import { listCampaignUpdates } from "@/lib/campaigns/updates";

export const dynamic = "force-dynamic";

const PAGE_SIZE = 20;

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
};

export function generateMetadata({ params }: Props): Promise<Metadata> {
  return campaignSubpageMetadata(params, "Updates", () => sessionUser());
}

/** Every update of a campaign, newest first, 20 a page (the campaign page shows the newest three). Public. */
export default async function CampaignUpdatesPage({ params, searchParams }: Props) {
  const { id } = await params;
  const c = await campaignForPage(id, () => sessionUser());
  if (!c) notFound();
  const cursor = pageCursor((await searchParams).cursor);
  const page = await listCampaignUpdates(db(), c.id, { limit: PAGE_SIZE, cursor });
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Updates</h1>
          <p className="muted">
            from <Link href={`/campaigns/${c.id}`}>{c.title}</Link>
          </p>
        </div>
      </div>
      <section className="card" aria-label="Updates, newest first">
        {page.items.length === 0 ? (
          <p className="muted">{cursor ? "No more updates." : "No updates yet."}</p>
        ) : (
          <UpdateList items={page.items} />
        )}
      </section>
      <Pager path={`/campaigns/${c.id}/updates`} cursor={cursor} nextCursor={page.nextCursor} />
    </>
  );
}
