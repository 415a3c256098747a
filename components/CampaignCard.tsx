import Link from "next/link";
import type { ReactNode } from "react";
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { AssetImage } from "./AssetImage";
import { formatDate, formatMoney, percentText, statusText } from "./format";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

export function CampaignCard({ campaign: c, children }: { campaign: CampaignDto; children?: ReactNode }) {
  const cover = c.assets.find((a) => a.kind === "image");
  return (
    <article className="card campaign-card">
      {cover && (
        <AssetImage
          id={cover.id}
          alt=""
          width={cover.width ?? 320}
          height={cover.height ?? 240}
          sizes="320px"
          className="campaign-card-cover"
        />
      )}
      <div className="campaign-card-head">
        <h3>
          <Link href={`/campaigns/${c.id}`}>{c.title}</Link>
        </h3>
        <StatusBadge status={c.status} />
      </div>
      <ProgressBar collected={c.collectedAmount} goal={c.goalAmount} label={`Progress of ${c.title}`} />
      <p className="amounts">
        <strong>{formatMoney(c.collectedAmount, c.currency)}</strong> raised of {formatMoney(c.goalAmount, c.currency)}{" "}
        <span className="muted">({percentText(c.collectedAmount, c.goalAmount)})</span>
      </p>
      <p className="muted small">
        Created {formatDate(c.createdAt)} · {c.contributionCount} contribution{c.contributionCount === 1 ? "" : "s"} ·{" "}
        {statusText(c).timeLeft}
      </p>
      {children}
    </article>
  );
}
