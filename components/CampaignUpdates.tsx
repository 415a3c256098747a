import Link from "next/link";
import type { AssetDto } from "@/lib/assets/schemas";
import type { CampaignUpdateDto, CampaignUpdatePage } from "@/lib/campaigns/schemas";
import { AssetImage } from "./AssetImage";
import { formatDateTime } from "./format";
import { PostUpdateForm } from "./PostUpdateForm";
import { StoryText } from "./StoryText";

/**
 * The campaign page's "Updates" card: the newest few updates (`page`, listCampaignUpdates), "See all updates" when
 * there are more, and for the campaign's creator the form to post one (`compose`: the campaign's pictures to choose
 * from). Renders nothing when there is no update and nobody here may post one.
 */
export function CampaignUpdates({
  campaignId,
  page,
  compose,
}: {
  campaignId: string;
  page: CampaignUpdatePage;
  compose?: { pictures: AssetDto[] };
}) {
  if (page.items.length === 0 && !compose) return null;
  return (
    <section className="card updates-card" aria-labelledby="updates-heading">
      <h2 id="updates-heading">Updates</h2>
      {compose && <PostUpdateForm campaignId={campaignId} pictures={compose.pictures} />}
      {page.items.length === 0 ? (
        <p className="muted">No updates yet. Tell your donors how it is going: those who asked get it by email.</p>
      ) : (
        <UpdateList items={page.items} />
      )}
      {page.nextCursor && (
        <p>
          <Link href={`/campaigns/${campaignId}/updates`}>See all updates</Link>
        </p>
      )}
    </section>
  );
}

/** Updates as a list, newest first: date, text (line breaks and links as in a story), and the picture if any. */
export function UpdateList({ items }: { items: CampaignUpdateDto[] }) {
  return (
    <ol className="update-list" data-testid="updates">
      {items.map((u) => (
        <li key={u.id} className="update" data-update-id={u.id}>
          <p className="muted small">
            <time dateTime={u.createdAt}>{formatDateTime(u.createdAt)}</time> · {u.author.name}
          </p>
          <StoryText story={u.body} />
          {u.picture && (
            <AssetImage
              id={u.picture.assetId}
              alt="Picture posted with this update"
              width={u.picture.width ?? 800}
              height={u.picture.height ?? 600}
              sizes="(max-width: 820px) 100vw, 640px"
              className="update-picture"
            />
          )}
        </li>
      ))}
    </ol>
  );
}
