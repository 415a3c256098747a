import { AppError } from "@/lib/errors";
import { equalSecrets } from "./equal-secrets";

/**
 * The check of every cron route: `Authorization: Bearer <CRON_SECRET>` (what Vercel Cron sends),
 * compared in constant time. Fails closed: with no CRON_SECRET configured every call is refused.
 * Throws AppError UNAUTHENTICATED (401), naming which of the two it is.
 */
export function requireCronSecret(header: string | null, secret: string | undefined): void {
  if (secret && equalSecrets(header ?? "", `Bearer ${secret}`)) return;
  throw new AppError(
    "UNAUTHENTICATED",
    secret ? "A valid cron secret is required" : "The cron route is disabled: CRON_SECRET is not set",
  );
}
