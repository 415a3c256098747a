import { ImageResponse } from "next/og";
import { formatMoney, percentText } from "@/components/format";
import { db } from "@/lib/app";
import { readCampaign } from "@/lib/cache/campaigns";
import { AppError } from "@/lib/errors";

/** Open Graph's recommended size (1200×630), which X's summary_large_image card shows too. */
const WIDTH = 1200;
const HEIGHT = 630;

/**
 * The title without emoji (pictographs, their joiners and variation selectors): next/og draws an emoji by fetching
 * its picture from a CDN, which a server without Internet access cannot reach, and the whole image would fail.
 */
function drawable(title: string): string {
  return title
    .replace(/\p{Extended_Pictographic}|\u{200D}|\u{FE0E}|\u{FE0F}|[\u{1F3FB}-\u{1F3FF}]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * GET /og/campaigns/{id}: the picture a link to a campaign shows where it is shared (og:image, twitter:image),
 * drawn with next/og: the title, raised of goal, the progress bar and the share funded. Published campaigns only
 * (404 otherwise, like the page to someone signed out); cached a minute by browsers and shared caches.
 */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let c: Awaited<ReturnType<typeof readCampaign>>["campaign"];
  try {
    c = (await readCampaign(db(), id, async () => undefined)).campaign;
  } catch (err) {
    if (err instanceof AppError) return new Response("Not found", { status: 404, headers: { "cache-control": "no-store" } });
    throw err;
  }
  const title = drawable(c.title);
  const share = c.goalAmount > 0 ? Math.min(1, c.collectedAmount / c.goalAmount) : 0;
  return new ImageResponse(
    <div
      style={{
        width: "100%",
        height: "100%",
        display: "flex",
        flexDirection: "column",
        justifyContent: "space-between",
        padding: 72,
        background: "#ffffff",
        color: "#1d2433",
        fontSize: 36,
      }}
    >
      <div style={{ display: "flex", color: "#017f46", fontSize: 34, fontWeight: 700 }}>Crowdfund</div>
      <div style={{ display: "flex", fontSize: title.length > 60 ? 56 : 72, fontWeight: 700, lineHeight: 1.15 }}>
        {title.length > 110 ? `${title.slice(0, 107)}…` : title}
      </div>
      <div style={{ display: "flex", flexDirection: "column" }}>
        <div style={{ display: "flex", alignItems: "baseline" }}>
          <span style={{ fontSize: 64, fontWeight: 700 }}>{formatMoney(c.collectedAmount, c.currency)}</span>
          <span style={{ marginLeft: 20, color: "#5b6475" }}>raised of {formatMoney(c.goalAmount, c.currency)}</span>
        </div>
        <div style={{ display: "flex", height: 28, marginTop: 24, borderRadius: 14, background: "#e6ebf0" }}>
          <div
            style={{
              display: "flex",
              width: `${Math.max(share > 0 ? 2 : 0, share * 100)}%`,
              height: 28,
              borderRadius: 14,
              background: "#017f46",
            }}
          />
        </div>
        <div style={{ display: "flex", marginTop: 16, color: "#5b6475" }}>
          {percentText(c.collectedAmount, c.goalAmount)} funded · {c.contributionCount} contribution
          {c.contributionCount === 1 ? "" : "s"}
        </div>
      </div>
    </div>,
    { width: WIDTH, height: HEIGHT, headers: { "cache-control": "public, max-age=60, s-maxage=60" } },
  );
}
