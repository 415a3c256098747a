import { randomUUID } from "node:crypto";
import Link from "next/link";
import type { CampaignDto, CampaignUpdatePage } from "@/lib/campaigns/schemas";
import { acceptsContributions, contentEditable } from "@/lib/campaigns/status";
import { config } from "@/lib/config";
import { chargeLimits, isChargeable } from "@/lib/money/currency";
import { SANDBOX_METHODS } from "@/lib/payments/sandbox";
import type { PublicUser } from "@/lib/users";
import { CampaignMedia } from "./CampaignMedia";
import { CampaignUpdates } from "./CampaignUpdates";
import { ContributeForm } from "./ContributeForm";
import { ContributionList, type ContributionPage } from "./ContributionList";
import { formatMoney, percentText, statusText } from "./format";
import { Money } from "./Money";
import { type Move, OwnerPanel } from "./OwnerPanel";
import { ProgressBar } from "./ProgressBar";
import { ReportCampaign } from "./ReportCampaign";
import { ShareLinks } from "./ShareLinks";
import { StatusBadge } from "./StatusBadge";
import { StoryText } from "./StoryText";

/** What the page knows of a signed-in viewer: the Contribute form, and the creator's or an admin's controls. */
export interface CampaignViewer {
  user: PublicUser;
  isOwner: boolean;
  /** Status moves lib/campaigns/status.ts allows this viewer, as buttons. */
  moves: Move[];
  canCloseForAbuse: boolean;
  /** Why it is suspended or ended, for its creator and admins only (statusReasonFor). */
  reason?: string;
}

/**
 * A campaign's page body: the same markup for the signed-out visitor (app/(public), cached, no `viewer`: "Sign in
 * to contribute") and the signed-in one (app/(site), with the form and the controls the viewer may use).
 * `recent`: the first page of its contributions (listCampaignContributions); `updates`: its newest updates
 * (listCampaignUpdates); `now` decides what is still open.
 */
export function CampaignView({
  campaign: c,
  recent,
  updates,
  now,
  viewer,
}: {
  campaign: CampaignDto;
  recent: ContributionPage;
  updates: CampaignUpdatePage;
  now: Date;
  viewer?: CampaignViewer;
}) {
  const user = viewer?.user;
  const isOwner = viewer?.isOwner ?? false;
  const moves = viewer?.moves ?? [];
  const canCloseForAbuse = viewer?.canCloseForAbuse ?? false;
  const reason = viewer?.reason;
  const open = acceptsContributions(c, now);
  const st = statusText(c, now);
  return (
    <article className="campaign">
      <header className="campaign-header">
        {c.status !== "active" && <StatusBadge status={c.status} />}
        <h1 data-testid="campaign-title">{c.title}</h1>
        <p className="muted">
          by {c.creator.name} · {st.since}
        </p>
        <StatusNotice campaign={c} reason={reason} isOwner={isOwner} />
      </header>

      <div className="campaign-layout">
        <div className="campaign-main">
          <CampaignMedia title={c.title} assets={c.assets} />
          <section className="story card" aria-label="Story">
            <h2 className="visually-hidden">Story</h2>
            <StoryText story={c.story} />
          </section>
          <CampaignUpdates
            campaignId={c.id}
            page={updates}
            compose={isOwner && canPostUpdates(c) ? { pictures: c.assets.filter((a) => a.kind === "image") } : undefined}
          />
          <section className="card contributions-card" aria-labelledby="contributions-heading">
            <h2 id="contributions-heading">Recent contributions</h2>
            <ContributionList key={recent.items[0]?.id ?? "none"} campaignId={c.id} initial={recent} empty={st.noContributions} />
            {c.contributionCount > 0 && (
              <p className="small">
                <Link href={`/campaigns/${c.id}/contributions`}>
                  Donor wall: every contribution, top donors, words of support
                </Link>
              </p>
            )}
          </section>
        </div>

        <aside className="campaign-side">
          <div className="card stats">
            <p className="collected">
              <Money amount={c.collectedAmount} currency={c.currency} testId="collected" />
            </p>
            <p className="muted">raised of {formatMoney(c.goalAmount, c.currency)} goal</p>
            {c.heldAmount > 0 && (
              <p className="muted small" data-testid="held">
                {formatMoney(c.heldAmount, c.currency)} held while a dispute is reviewed
              </p>
            )}
            <ProgressBar collected={c.collectedAmount} goal={c.goalAmount} />
            <ul className="stat-list">
              <li>
                <strong>{percentText(c.collectedAmount, c.goalAmount)}</strong> funded
              </li>
              <li>
                <strong>{c.contributionCount}</strong> contribution{c.contributionCount === 1 ? "" : "s"}
              </li>
              <li>{st.timeLeft}</li>
            </ul>
            {st.ends && <p className="muted small">{st.ends}</p>}
          </div>
          {open && (
            <section className="card contribute-card" aria-labelledby="contribute-heading">
              <h2 id="contribute-heading">Contribute</h2>
              {user ? (
                <ContributeForm
                  campaignId={c.id}
                  currency={c.currency}
                  sandboxMethods={sandboxMethods()}
                  {...amountRules(c.currency, config().CONTRIBUTION_MAX_MINOR)}
                  contributionCount={c.contributionCount}
                  stripePublishableKey={config().STRIPE_SECRET_KEY ? config().STRIPE_PUBLISHABLE_KEY : undefined}
                  idempotencyKey={randomUUID()}
                />
              ) : (
                <Link className="btn btn-primary btn-block" href={`/signin?callbackUrl=/campaigns/${c.id}`}>
                  Sign in to contribute
                </Link>
              )}
            </section>
          )}
          {c.status === "active" && <ShareLinks path={`/campaigns/${c.id}`} title={c.title} origin={publicOrigin()} />}
          {isOwner && contentEditable(c.status) && (
            <Link className="btn btn-secondary btn-block" href={`/campaigns/${c.id}/edit`}>
              Edit the campaign
            </Link>
          )}
          {(moves.length > 0 || canCloseForAbuse) && (
            <OwnerPanel
              campaignId={c.id}
              moves={moves}
              canCloseForAbuse={canCloseForAbuse}
              heading={isOwner ? "Manage your campaign" : "Moderation"}
              status={c.status}
            />
          )}
          {!isOwner && c.status !== "draft" && <ReportCampaign campaignId={c.id} signedIn={user !== undefined} />}
        </aside>
      </div>
    </article>
  );
}

/** Whether the creator may post updates (lib/campaigns/updates.ts): published, not suspended, not closed by the platform. */
function canPostUpdates(c: CampaignDto): boolean {
  return (c.status === "active" || c.status === "ended") && !c.closedForAbuse;
}

/** The configured public origin (NEXTAUTH_URL), for share links rendered without JavaScript; undefined when unset. */
function publicOrigin(): string | undefined {
  const u = config().NEXTAUTH_URL;
  return u ? new URL(u).origin : undefined;
}

/** The sandbox's test cards for the form's select; none when real Stripe is configured. */
function sandboxMethods(): { id: string; label: string }[] {
  if (config().STRIPE_SECRET_KEY) return [];
  return Object.entries(SANDBOX_METHODS).map(([id, m]) => ({ id, label: m.label }));
}

/**
 * Why giving is closed, when it is not simply a draft or past its end date: a suspension (donors are told giving
 * is paused, never the admin's reason; the creator and admins see it), a close for abuse, an end by the creator
 * (with their words, public) or by an admin (the reason for the creator and admins only).
 */
function StatusNotice({ campaign: c, reason, isOwner }: { campaign: CampaignDto; reason?: string; isOwner: boolean }) {
  if (c.status === "suspended")
    return (
      <div className="notice status-notice" role="status">
        <p>This campaign is suspended: giving is paused.</p>
        {reason && <p>Reason: {reason}</p>}
        {isOwner && <p>An admin can reinstate it; until then it cannot change.</p>}
      </div>
    );
  if (c.status !== "ended") return null;
  if (c.closedForAbuse)
    return (
      <div className="notice status-notice" role="status">
        <p>This campaign was closed by the platform; every contribution is refunded.</p>
      </div>
    );
  const shown = c.endedBy === "creator" ? c.endReason : reason;
  return (
    <div className="notice status-notice" role="status">
      <p>{c.endedBy === "creator" ? "The creator ended this campaign." : "This campaign was ended by the platform."}</p>
      {shown && <p>Reason: {shown}</p>}
    </div>
  );
}

/**
 * The Contribute form's amount rules in app units: the provider's charge limits (lib/money/currency.ts) within the
 * configured maximum. A currency the provider cannot charge (a campaign made before that rule) gets an empty range:
 * the API refuses it with CURRENCY_NOT_SUPPORTED.
 */
function amountRules(currency: string, configuredMax: number): { minAmount: number; maxAmount: number; amountStep: number } {
  if (!isChargeable(currency)) return { minAmount: 1, maxAmount: 0, amountStep: 1 };
  const limits = chargeLimits(currency);
  return { minAmount: limits.min, maxAmount: Math.min(limits.max, configuredMax), amountStep: limits.step };
}
