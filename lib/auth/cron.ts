import { timingSafeEqual } from "node:crypto";
import { AppError } from "@/lib/errors";

/**
 * The check of every cron route: `Authorization: Bearer <CRON_SECRET>` (what Vercel Cron sends),
 * compared in constant time. Fails closed: with no CRON_SECRET configured every call is refused.
 * Throws AppError UNAUTHENTICATED (401), naming which of the two it is.
 */
export function requireCronSecret(header: string | null, secret: string | undefined): void {
  const a = Buffer.from(header ?? "");
  const b = Buffer.from(`Bearer ${secret ?? ""}`);
  if (secret && a.length === b.length && timingSafeEqual(a, b)) return;
  throw new AppError(
    "UNAUTHENTICATED",
    secret ? "A valid cron secret is required" : "The cron route is disabled: CRON_SECRET is not set",
  );
}
