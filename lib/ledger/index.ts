import { and, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { ledgerAccounts, ledgerEntries, ledgerLines } from "@/db/schema";

/**
 * Double-entry ledger (DESIGN.md §5): signed integer minor units, debit positive,
 * credit negative; every entry sums to zero per currency (enforced by a deferred
 * trigger in the database); balances are derived from lines. Entries are unique
 * per (kind, reference), which makes posting idempotent.
 */
export type AccountKind = (typeof ledgerAccounts.kind.enumValues)[number];

export interface AccountRef {
  kind: AccountKind;
  owner: string;
}

export const accounts = {
  campaignCollected: (campaignId: string): AccountRef => ({ kind: "campaign_collected", owner: campaignId }),
  providerClearing: (provider: string): AccountRef => ({ kind: "provider_clearing", owner: provider }),
  platformFees: (): AccountRef => ({ kind: "platform_fees", owner: "platform" }),
  creatorPayable: (userId: string): AccountRef => ({ kind: "creator_payable", owner: userId }),
};

async function accountId(tx: Db, ref: AccountRef, currency: string): Promise<string> {
  await tx.insert(ledgerAccounts).values({ id: uuidv7(), kind: ref.kind, owner: ref.owner, currency }).onConflictDoNothing();
  const [row] = await tx
    .select({ id: ledgerAccounts.id })
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.kind, ref.kind), eq(ledgerAccounts.owner, ref.owner), eq(ledgerAccounts.currency, currency)));
  if (!row) throw new Error("ledger account vanished");
  return row.id;
}

export interface EntryInput {
  kind: string;
  reference: string;
  description: string;
  currency: string;
  lines: { account: AccountRef; amount: number }[];
}

/** Post an entry inside the caller's transaction. Returns false when (kind, reference) was already posted. */
export async function postEntry(tx: Db, e: EntryInput): Promise<boolean> {
  const sum = e.lines.reduce((s, l) => s + l.amount, 0);
  if (sum !== 0) throw new Error(`ledger entry ${e.kind}:${e.reference} does not balance (${sum})`);
  for (const l of e.lines) if (!Number.isSafeInteger(l.amount)) throw new Error("ledger amounts are integers");
  const id = uuidv7();
  const inserted = await tx
    .insert(ledgerEntries)
    .values({ id, kind: e.kind, reference: e.reference, description: e.description })
    .onConflictDoNothing()
    .returning({ id: ledgerEntries.id });
  if (inserted.length === 0) return false;
  const lines = [];
  for (const l of e.lines.filter((l) => l.amount !== 0)) {
    lines.push({ entryId: id, accountId: await accountId(tx, l.account, e.currency), amount: l.amount, currency: e.currency });
  }
  await tx.insert(ledgerLines).values(lines);
  return true;
}

/** Balance of an account (debit positive). Credit-normal accounts (collected, fees, payable) read negative. */
export async function balance(db: Db, ref: AccountRef, currency: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${ledgerLines.amount}), 0)` })
    .from(ledgerLines)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerLines.accountId))
    .where(and(eq(ledgerAccounts.kind, ref.kind), eq(ledgerAccounts.owner, ref.owner), eq(ledgerAccounts.currency, currency)));
  return Number(row?.total ?? 0);
}

/** Split a contribution into platform fee and the campaign's net, in basis points, rounding the fee down. */
export function platformFee(amount: number, feeBps: number): number {
  return Math.floor((amount * feeBps) / 10_000);
}
