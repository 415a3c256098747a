import { Readable } from "node:stream";
import { stringify } from "csv-stringify/sync";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { contributions, users } from "@/db/schema";
import { appExponent } from "@/lib/money/currency";
import type { PublicUser } from "@/lib/users";
import { campaignForOwner } from "./contributions";

/** The export's columns, in order (the CSV's header row). Amounts: integer minor units, and the same as a decimal. */
export const EXPORT_COLUMNS = [
  "contribution_id",
  "created_at",
  "donor",
  "status",
  "currency",
  "amount_minor",
  "amount",
  "refunded_minor",
  "message",
] as const;

/** Rows read per query: keyset batches on contributions (campaign_id, id), so memory holds one batch at a time. */
const BATCH = 1000;

/**
 * `minor` minor units as a plain decimal string with the currency's app exponent ("1250", USD → "12.50"; JPY →
 * "1250"), by string arithmetic, so no amount is ever rounded by floating point.
 */
export function decimalAmount(minor: number, currency: string): string {
  const exp = appExponent(currency);
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor)).padStart(exp + 1, "0");
  return exp === 0 ? sign + digits : `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/**
 * A cell a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return: OWASP's
 * "CSV injection") gets a leading apostrophe; donors write names and messages, and the creator opens the file.
 */
export function neutralizeFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** Every contribution of the campaign, oldest first, as the export's records: one array per query of `BATCH` rows. */
async function* batches(db: Db, campaignId: string): AsyncGenerator<string[][]> {
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .select({
        id: contributions.id,
        createdAt: contributions.createdAt,
        name: users.name,
        anonymous: contributions.anonymous,
        status: contributions.status,
        currency: contributions.currency,
        amount: contributions.amount,
        refundedAmount: contributions.refundedAmount,
        message: contributions.message,
      })
      .from(contributions)
      .innerJoin(users, eq(users.id, contributions.contributorId))
      .where(and(eq(contributions.campaignId, campaignId), after ? gt(contributions.id, after) : undefined))
      .orderBy(asc(contributions.id))
      .limit(BATCH);
    yield rows.map((r) => [
      r.id,
      r.createdAt.toISOString(),
      neutralizeFormula(r.anonymous ? "Anonymous" : r.name),
      r.status,
      r.currency,
      String(r.amount),
      decimalAmount(r.amount, r.currency),
      String(r.refundedAmount),
      neutralizeFormula(r.message ?? ""),
    ]);
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]?.id;
  }
}

/**
 * A campaign's contributions as CSV (RFC 4180, UTF-8, header row EXPORT_COLUMNS), for its creator or an admin:
 * every status, oldest first; an anonymous donor is "Anonymous" (never their name; no e-mail addresses at all).
 * Streamed: rows are read in batches as the client takes them (the stream's back-pressure), so memory stays flat
 * whatever the count. Throws AppError CAMPAIGN_NOT_FOUND (before anything is streamed) to anyone else. Returns the
 * campaign ({ id, title, currency }) and the body as a web ReadableStream of bytes; a database failure in the middle
 * ends the stream with an error (the client sees a cut-off download, never a partial file that looks whole).
 */
export async function exportCampaignContributions(
  db: Db,
  viewer: PublicUser,
  campaignId: string,
): Promise<{ campaign: { id: string; title: string; currency: string }; body: ReadableStream<Uint8Array> }> {
  const campaign = await campaignForOwner(db, viewer, campaignId);
  // One chunk per batch (about 100 kB), not one per row: every chunk is a write to the socket.
  async function* chunks(): AsyncGenerator<Buffer> {
    let header = true;
    for await (const records of batches(db, campaign.id)) {
      yield Buffer.from(stringify(records, { header, columns: [...EXPORT_COLUMNS] }));
      header = false;
    }
    if (header) yield Buffer.from(stringify([], { header, columns: [...EXPORT_COLUMNS] }));
  }
  return { campaign, body: Readable.toWeb(Readable.from(chunks())) as ReadableStream<Uint8Array> };
}
