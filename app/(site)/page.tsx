import Link from "next/link";
import { CampaignCard } from "@/components/CampaignCard";
import { services } from "@/lib/app";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";

/** One listing of the home page: a heading and its campaigns as cards; nothing when it is empty. */
function Listing({ id, title, campaigns }: { id: string; title: string; campaigns: CampaignDto[] }) {
  if (campaigns.length === 0) return null;
  return (
    <section className="campaign-listing" aria-labelledby={`${id}-heading`} data-testid={id}>
      <h2 id={`${id}-heading`}>{title}</h2>
      <div className="campaign-grid">
        {campaigns.map((c) => (
          <CampaignCard key={c.id} campaign={c} />
        ))}
      </div>
    </section>
  );
}

/**
 * The home page: the hero, then the listings of active campaigns (lib/campaigns/listing.ts: the newest, and those
 * nearly funded), read through the process's 5-second cache, then how it works. Without the database (and no
 * listing read before) it shows no listings rather than an error page.
 */
export default async function HomePage() {
  const passwordLogin = config().passwordLogin;
  // The landing page stays up while the database is away (the cache answers its last listing meanwhile).
  const { newest, nearlyFunded } = await services()
    .homeListing.get()
    .catch((err: unknown) => {
      services().log.warn({ err: String(err) }, "home page listings unavailable");
      return { newest: [], nearlyFunded: [] };
    });
  return (
    <>
      <section className="hero">
        <h1>Raise money for what matters</h1>
        <p className="lead">
          Crowdfund helps you tell your story, set a goal and share a page with the people who want to help — for a neighbour, a
          school project, a community garden or a cause close to your heart.
        </p>
        <div className="actions">
          <Link href="/campaigns/new" className="btn btn-primary btn-large">
            Start a campaign
          </Link>
          <Link href="/dashboard" className="btn btn-secondary btn-large">
            Go to your dashboard
          </Link>
        </div>
      </section>

      <Listing id="nearly-funded" title="Nearly funded" campaigns={nearlyFunded} />
      <Listing id="newest" title="New campaigns" campaigns={newest} />

      <section className="features" aria-label="How it works">
        <div className="card feature">
          <h2>1. Tell your story</h2>
          <p>Give your campaign a title, explain why it matters and pick a goal in your currency.</p>
        </div>
        <div className="card feature">
          <h2>2. Publish and share</h2>
          <p>Keep it as a private draft until you are ready, then publish it and share the link.</p>
        </div>
        <div className="card feature">
          <h2>3. Track progress</h2>
          <p>
            Follow what you have raised from your dashboard, or automate with the <Link href="/docs">JSON API</Link>.
          </p>
        </div>
      </section>

      {passwordLogin && (
        <aside className="notice" aria-label="Demo accounts">
          <strong>Demo users:</strong> alice@example.com / bob@example.com / carol@example.com (admin), password:{" "}
          <code>password</code>. <Link href="/signin">Sign in</Link>
        </aside>
      )}
    </>
  );
}
