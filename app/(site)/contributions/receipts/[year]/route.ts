import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { config } from "@/lib/config";
import { route } from "@/lib/http";
import { publicUrl } from "@/lib/http/public-url";
import { receiptsCsv, receiptsForYear, receiptYear } from "@/lib/payments/receipts";

/**
 * GET /contributions/receipts/{year}: the signed-in donor's receipts of that year (UTC) as one CSV download
 * (lib/payments/receipts.ts `receiptsCsv`), linked from the "My contributions" page. Session cookie or bearer
 * token; 401 UNAUTHENTICATED without, 400 VALIDATION_FAILED for a year that is not one. A year without receipts
 * is a file with its header alone.
 */
export const GET = route<{ year: string }>(async (req, { year: raw }) => {
  const user = await requireUser(req);
  const year = receiptYear(raw);
  const receipts = await receiptsForYear(db(), user, year);
  return new Response(receiptsCsv(receipts, publicUrl("/", req.headers, config())), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="receipts-${year}.csv"`,
      "cache-control": "private, no-store",
    },
  });
});
