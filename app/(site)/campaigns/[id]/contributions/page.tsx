import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { campaignForPage, campaignSubpageMetadata } from "@/components/campaignMetadata";
import { formatDateTime, formatMoney } from "@/components/format";
import { Pager } from "@/components/Pager";
import { readDb } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { pageCursor } from "@/lib/campaigns/schemas";
import { listCampaignContributions } from "@/lib/payments/contributions";
import { cachedTopDonors, wordsOfSupport } from "@/lib/payments/wall";

export const dynamic = "force-dynamic";

const PAGE_SIZE = 20;

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
};

export function generateMetadata({ params }: Props): Promise<Metadata> {
  return campaignSubpageMetadata(params, "Donors", () => sessionUser());
}

/**
 * The donor wall (docs/donor-wall.md), public: top donors and words of support on the first page, then every paid
 * gift newest first, 20 a page (keyset on contributions_campaign_idx). Anonymous gifts are "Anonymous" everywhere.
 */
export default async function DonorWallPage({ params, searchParams }: Props) {
  const { id } = await params;
  const c = await campaignForPage(id, () => sessionUser());
  if (!c) notFound();
  const cursor = pageCursor((await searchParams).cursor);
  // Public lists, a click away from the campaign page (which reads the primary): they may come from a read replica
  // (readDb), so a gift made a second ago may be missing until a reload. The top donors are raw SQL, which
  // withReplicas runs on the primary, and cached a minute.
  const [page, top, words] = await Promise.all([
    listCampaignContributions(readDb(), { campaign: c, limit: PAGE_SIZE, cursor }),
    cursor ? [] : cachedTopDonors(readDb(), c),
    cursor ? [] : wordsOfSupport(readDb(), c),
  ]);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Donors</h1>
          <p className="muted">
            of <Link href={`/campaigns/${c.id}`}>{c.title}</Link> · {c.contributionCount} contribution
            {c.contributionCount === 1 ? "" : "s"}
          </p>
        </div>
      </div>
      {!cursor && (
        <div className="wall-top">
          <section className="card" aria-labelledby="top-donors-heading">
            <h2 id="top-donors-heading">Top donors</h2>
            {top.length === 0 ? (
              <p className="muted">No donors yet.</p>
            ) : (
              <ol className="top-donors" data-testid="top-donors">
                {top.map((d, i) => (
                  <li key={i}>
                    <strong>{d.name}</strong> <span className="contribution-amount">{formatMoney(d.amount, d.currency)}</span>
                    {d.gifts > 1 && <span className="muted small"> · {d.gifts} gifts</span>}
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section className="card" aria-labelledby="support-heading">
            <h2 id="support-heading">Words of support</h2>
            {words.length === 0 ? (
              <p className="muted">No messages yet.</p>
            ) : (
              <ul className="contribution-list" data-testid="words-of-support">
                {words.map((w) => (
                  <li key={w.id} className="contribution">
                    <blockquote className="contribution-message support-quote">{w.message}</blockquote>
                    <p className="muted small">
                      — {w.name}, <time dateTime={w.createdAt}>{formatDateTime(w.createdAt)}</time>
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
      <section className="card" aria-labelledby="all-heading">
        <h2 id="all-heading">Every contribution</h2>
        {page.items.length === 0 ? (
          <p className="muted">{cursor ? "No more contributions." : "No contributions yet."}</p>
        ) : (
          <ul className="contribution-list" data-testid="all-contributions">
            {page.items.map((g) => (
              <li key={g.id} className="contribution">
                <div className="contribution-head">
                  <strong className="contribution-name">{g.name}</strong>
                  <span className="contribution-amount">{formatMoney(g.amount, g.currency)}</span>
                </div>
                <time className="muted small" dateTime={g.createdAt}>
                  {formatDateTime(g.createdAt)}
                </time>
                {g.message && <p className="contribution-message">{g.message}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <Pager path={`/campaigns/${c.id}/contributions`} cursor={cursor} nextCursor={page.nextCursor} />
    </>
  );
}
