/** Display helpers shared by server and client components (pure, no DB). */
import type { CampaignDto } from "@/lib/campaigns/schemas";
import { acceptsContributions } from "@/lib/campaigns/status";
import { formatMoney } from "@/lib/money/currency";

export { formatMoney };

/**
 * Percent of the goal reached, 0–100 (whole number, capped), rounded down: 100 only once the goal is reached
 * ($11,999.99 of $12,000 is 99). `collected` and `goal` in the same minor units.
 */
export function percentOf(collected: number, goal: number): number {
  if (goal <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((collected * 100) / goal)));
}

/**
 * The platform fee as people read it, from basis points (PLATFORM_FEE_BPS: 100 = 1 %): "no platform fee" or
 * "a 2.5 % platform fee".
 */
export function describeFee(bps: number): string {
  if (bps <= 0) return "no platform fee";
  return `a ${Number((bps / 100).toFixed(2))} % platform fee`;
}

/**
 * The payout minimum (PAYOUT_MINIMUM_MINOR, minor units of the campaign's currency, so one number means $1.00 but
 * ¥100) in words, with three currencies as examples: "$1.00 for a campaign in US dollars, €1.00 in euros, ¥100 in yen".
 */
export function describePayoutMinimum(minimumMinor: number): string {
  const m = (currency: string) => formatMoney(minimumMinor, currency);
  return `${m("USD")} for a campaign in US dollars, ${m("EUR")} in euros, ${m("JPY")} in yen`;
}

/** `percentOf` as shown: "37%", or "<1%" when something was collected but less than 1% of the goal ($97.50 of $12,000). */
export function percentText(collected: number, goal: number): string {
  const pct = percentOf(collected, goal);
  return pct === 0 && collected > 0 && goal > 0 ? "<1%" : `${pct}%`;
}

// Fixed locale and time zone so server and browser render the same text.
const dateFmt = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" });
const dateTimeFmt = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export function formatDate(iso: string | Date): string {
  return dateFmt.format(new Date(iso));
}

export function formatDateTime(iso: string | Date): string {
  return `${dateTimeFmt.format(new Date(iso))} UTC`;
}

/** The status texts of a campaign, all from the same rules (lib/campaigns/status.ts), so they never disagree. */
export interface StatusText {
  /** "12 days left", "Ends today", "No end date", "Ended", "Not published yet" or "Giving paused". */
  timeLeft: string;
  /** "started Jan 5, 2027", or "draft created Jan 5, 2027" for a draft. */
  since: string;
  /** "Ends Feb 1, 2027", "Ended Jan 20, 2027", or null (no end date, not ended). */
  ends: string | null;
  /** The contribution list's text while it is empty: "be the first" only while giving is open. */
  noContributions: string;
}

/**
 * What a campaign's page, cards and lists say about its status at `now`: giving open (acceptsContributions),
 * a draft, suspended, or ended (by status, or by its end date passing while still marked active).
 */
export function statusText(c: Pick<CampaignDto, "status" | "endsAt" | "endedAt" | "createdAt">, now = new Date()): StatusText {
  const since = `${c.status === "draft" ? "draft created" : "started"} ${formatDate(c.createdAt)}`;
  if (c.status === "draft")
    return {
      timeLeft: "Not published yet",
      since,
      ends: c.endsAt && `Ends ${formatDate(c.endsAt)}`,
      noContributions: "No contributions yet: giving opens once the campaign is published.",
    };
  if (c.status === "suspended")
    return { timeLeft: "Giving paused", since, ends: null, noContributions: "No contributions yet: giving is paused." };
  if (acceptsContributions(c, now)) {
    const days = c.endsAt === null ? -1 : Math.floor((Date.parse(c.endsAt) - now.getTime()) / 86_400_000);
    return {
      timeLeft: days < 0 ? "No end date" : days === 0 ? "Ends today" : days === 1 ? "1 day left" : `${days} days left`,
      since,
      ends: c.endsAt && `Ends ${formatDate(c.endsAt)}`,
      noContributions: "No contributions yet — be the first.",
    };
  }
  const endedOn = c.status === "ended" ? (c.endedAt ?? c.endsAt) : c.endsAt;
  return {
    timeLeft: "Ended",
    since,
    ends: endedOn && `Ended ${formatDate(endedOn)}`,
    noContributions: "No contributions were made.",
  };
}

export const STATUS_LABELS: Record<string, string> = {
  draft: "Draft",
  active: "Active",
  ended: "Ended",
  suspended: "Suspended",
};
