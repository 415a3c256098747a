/** Display helpers shared by server and client components (pure, no DB). */
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

/** "N days left", "Ends today", "Ended" or "No end date". */
export function timeLeft(endsAt: string | null, status: string, now = Date.now()): string {
  if (status === "ended") return "Ended";
  if (!endsAt) return "No end date";
  const ms = Date.parse(endsAt) - now;
  if (ms <= 0) return "Ended";
  const days = Math.floor(ms / 86_400_000);
  if (days === 0) return "Ends today";
  return days === 1 ? "1 day left" : `${days} days left`;
}

export const STATUS_LABELS: Record<string, string> = {
  draft: "Draft",
  active: "Active",
  ended: "Ended",
  suspended: "Suspended",
};
