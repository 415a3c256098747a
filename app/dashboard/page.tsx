import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { CampaignCard } from "@/components/CampaignCard";
import { db } from "@/db/client";
import { sessionUser } from "@/lib/auth/session";
import { listCreatorCampaigns } from "@/lib/campaigns";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "My campaigns" };

const PAGE_SIZE = 12;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function DashboardPage({
  searchParams,
}: {
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
}) {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/dashboard");
  const raw = (await searchParams).cursor;
  const value = Array.isArray(raw) ? raw[0] : raw;
  // A cursor not made by us is ignored (first page) rather than sent to the database.
  const cursor = value && UUID.test(value) ? value : undefined;
  const { items, nextCursor } = await listCreatorCampaigns(db(), { creatorId: user.id, limit: PAGE_SIZE, cursor });

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My campaigns</h1>
          <p className="muted">Signed in as {user.name}</p>
        </div>
        <Link href="/campaigns/new" className="btn btn-primary">
          Start a campaign
        </Link>
      </div>

      {items.length === 0 ? (
        <div className="empty-state card">
          <h2>{cursor ? "No more campaigns" : "You have no campaigns yet"}</h2>
          <p className="muted">
            {cursor ? "You have reached the end of the list." : "Create your first campaign and share it with the world."}
          </p>
          <Link href={cursor ? "/dashboard" : "/campaigns/new"} className="btn btn-primary">
            {cursor ? "Back to the first page" : "Create a campaign"}
          </Link>
        </div>
      ) : (
        <div className="card-grid">
          {items.map((c) => (
            <CampaignCard key={c.id} campaign={c} />
          ))}
        </div>
      )}

      {(cursor || nextCursor) && (
        <nav className="pager" aria-label="Pagination">
          {cursor ? <Link href="/dashboard">First page</Link> : <span />}
          {nextCursor && (
            <Link href={`/dashboard?cursor=${encodeURIComponent(nextCursor)}`} className="btn btn-secondary" rel="next">
              Next page
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
