import Link from "next/link";

/** What an unknown campaign ID, or someone else's draft, shows (the signed-in and the cached page alike). */
export function CampaignNotFound() {
  return (
    <div className="empty-state">
      <h1>Campaign not found</h1>
      <p className="muted">This campaign does not exist, or it is a draft that only its creator can see.</p>
      <div className="actions">
        <Link href="/" className="btn btn-secondary">
          Go home
        </Link>
        <Link href="/campaigns/new" className="btn btn-primary">
          Start a campaign
        </Link>
      </div>
    </div>
  );
}
