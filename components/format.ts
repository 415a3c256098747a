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
