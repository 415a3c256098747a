import { stringify } from "csv-stringify/sync";
import { and, asc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { validate as isUuid } from "uuid";
import type { Db } from "@/db/client";
import { campaigns, contributions, refunds, users } from "@/db/schema";
import { AppError } from "@/lib/errors";
import type { PublicUser } from "@/lib/users";
import { decimalAmount, neutralizeFormula } from "./export";
import { PAID_STATUSES } from "./settle";

/**
 * Donation receipts (docs/receipts.md): one numbered receipt per paid contribution, for its donor only, and a
 * year's receipts as one CSV file. The number is `contributions.receipt_number`, given by settlePayment
 * (lib/payments/settle.ts) in the statement that marks the contribution succeeded: a pending or failed contribution
 * has none, and so no receipt.
 */

/** A receipt as its page prints it. Amounts in minor units of `currency`. */
export interface Receipt {
  receiptNumber: number;
  contributionId: string;
  /** When the payment succeeded (ISO 8601); the contribution's creation for one settled before that was kept. */
  paidAt: string;
  donor: { name: string; email: string };
  campaign: { id: string; title: string };
  creator: { name: string };
  amount: number;
  currency: string;
  /** The payment provider ("stripe", "sandbox") and its payment's ID (Stripe's PaymentIntent, pi_…). */
  provider: string;
  providerReference: string | null;
  /** Money given back: refunds succeeded or on their way (a failed refund gave nothing back), oldest first. */
  refunds: { amount: number; status: "pending" | "succeeded"; createdAt: string }[];
  /** What the refunds took back (contributions.refunded_amount). */
  refundedAmount: number;
  /** What the donor finally gave: amount − refundedAmount. */
  netAmount: number;
}

const creators = alias(users, "creator");

const columns = {
  id: contributions.id,
  receiptNumber: contributions.receiptNumber,
  settledAt: contributions.settledAt,
  createdAt: contributions.createdAt,
  amount: contributions.amount,
  currency: contributions.currency,
  refundedAmount: contributions.refundedAmount,
  provider: contributions.provider,
  providerPaymentId: contributions.providerPaymentId,
  campaignId: campaigns.id,
  campaignTitle: campaigns.title,
  creatorName: creators.name,
};

function select(db: Db) {
  return db
    .select(columns)
    .from(contributions)
    .innerJoin(campaigns, eq(campaigns.id, contributions.campaignId))
    .innerJoin(creators, eq(creators.id, campaigns.creatorId));
}

type Row = Awaited<ReturnType<typeof select>>[number];

async function withRefunds(db: Db, donor: PublicUser, rows: Row[]): Promise<Receipt[]> {
  const ids = rows.map((r) => r.id);
  const back = ids.length
    ? await db
        .select({
          contributionId: refunds.contributionId,
          amount: refunds.amount,
          status: refunds.status,
          createdAt: refunds.createdAt,
        })
        .from(refunds)
        .where(and(inArray(refunds.contributionId, ids), inArray(refunds.status, ["pending", "succeeded"])))
        .orderBy(asc(refunds.id))
    : [];
  return rows.map((r) => ({
    receiptNumber: r.receiptNumber as number,
    contributionId: r.id,
    paidAt: (r.settledAt ?? r.createdAt).toISOString(),
    donor: { name: donor.name, email: donor.email },
    campaign: { id: r.campaignId, title: r.campaignTitle },
    creator: { name: r.creatorName },
    amount: r.amount,
    currency: r.currency,
    provider: r.provider,
    providerReference: r.providerPaymentId,
    refunds: back
      .filter((b) => b.contributionId === r.id)
      .map((b) => ({ amount: b.amount, status: b.status as "pending" | "succeeded", createdAt: b.createdAt.toISOString() })),
    refundedAmount: r.refundedAmount,
    netAmount: r.amount - r.refundedAmount,
  }));
}

/**
 * The receipt of contribution `contributionId` for `donor` (who must be its contributor; their name and email are printed on it).
 * Throws CONTRIBUTION_NOT_FOUND for anyone else's, an unknown or malformed ID, and a contribution that was never
 * paid (pending or failed: no receipt number), so a receipt never tells a stranger a contribution exists.
 */
export async function receiptFor(db: Db, donor: PublicUser, contributionId: string): Promise<Receipt> {
  const notFound = new AppError("CONTRIBUTION_NOT_FOUND", "No receipt for this contribution");
  if (!isUuid(contributionId)) throw notFound;
  const [row] = await select(db).where(
    and(
      eq(contributions.id, contributionId),
      eq(contributions.contributorId, donor.id),
      inArray(contributions.status, [...PAID_STATUSES]),
      isNotNull(contributions.receiptNumber),
    ),
  );
  if (!row) throw notFound;
  const [receipt] = await withRefunds(db, donor, [row]);
  if (!receipt) throw notFound;
  return receipt;
}

/** Years a receipt may be asked for: 2000 up to next year (a time zone ahead of UTC may already be in it). */
export function receiptYear(raw: string): number {
  const year = /^\d{4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(year >= 2000 && year <= new Date().getUTCFullYear() + 1)) {
    throw new AppError("VALIDATION_FAILED", "The year must be a four-digit year such as 2026", [
      { field: "year", message: `must be a year from 2000 to ${new Date().getUTCFullYear() + 1}` },
    ]);
  }
  return year;
}

/** When a contribution was paid, as its receipt prints it (one numbered by migration 0016 may have no settled_at). */
const paidAt = sql`coalesce(${contributions.settledAt}, ${contributions.createdAt})`;

/**
 * Every receipt of `donor` whose payment succeeded in calendar year `year` (UTC), by receipt number: the
 * contributor's paid contributions over contributions_contributor_idx, then their refunds in one query.
 */
export async function receiptsForYear(db: Db, donor: PublicUser, year: number): Promise<Receipt[]> {
  const from = new Date(Date.UTC(year, 0, 1));
  const to = new Date(Date.UTC(year + 1, 0, 1));
  const rows = await select(db)
    .where(
      and(
        eq(contributions.contributorId, donor.id),
        inArray(contributions.status, [...PAID_STATUSES]),
        isNotNull(contributions.receiptNumber),
        sql`${paidAt} >= ${from.toISOString()}::timestamptz`,
        sql`${paidAt} < ${to.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(asc(contributions.receiptNumber));
  return withRefunds(db, donor, rows);
}

/** The year file's columns, in order (its header row). Amounts: decimals in the currency's usual digits. */
export const RECEIPT_COLUMNS = [
  "receipt_number",
  "paid_at",
  "campaign",
  "creator",
  "currency",
  "amount",
  "refunded",
  "net_amount",
  "payment_reference",
  "receipt_url",
] as const;

/**
 * A year's receipts as RFC 4180 CSV in UTF-8 with a header row (RECEIPT_COLUMNS), one line per receipt, then one
 * "total" line per currency (amount, refunded and net summed; totals are never added across currencies). Cells a
 * spreadsheet would run as formulas are neutralized (campaign titles and names are other people's text).
 * `origin`: the app's public origin, for each receipt's printable page.
 */
export function receiptsCsv(receipts: Receipt[], origin: string): string {
  const lines: string[][] = receipts.map((r) => [
    String(r.receiptNumber),
    r.paidAt,
    neutralizeFormula(r.campaign.title),
    neutralizeFormula(r.creator.name),
    r.currency,
    decimalAmount(r.amount, r.currency),
    decimalAmount(r.refundedAmount, r.currency),
    decimalAmount(r.netAmount, r.currency),
    r.providerReference ?? "",
    new URL(`/contributions/${r.contributionId}/receipt`, origin).toString(),
  ]);
  const totals = new Map<string, { amount: number; refunded: number; net: number }>();
  for (const r of receipts) {
    const t = totals.get(r.currency) ?? { amount: 0, refunded: 0, net: 0 };
    t.amount += r.amount;
    t.refunded += r.refundedAmount;
    t.net += r.netAmount;
    totals.set(r.currency, t);
  }
  for (const [currency, t] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push([
      "total",
      "",
      "",
      "",
      currency,
      decimalAmount(t.amount, currency),
      decimalAmount(t.refunded, currency),
      decimalAmount(t.net, currency),
      "",
      "",
    ]);
  }
  return stringify([[...RECEIPT_COLUMNS], ...lines], { record_delimiter: "\r\n" });
}
