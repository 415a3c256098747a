import { and, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { ledgerAccounts, ledgerLines } from "@/db/schema";

/**
 * Double-entry ledger (invariants 1–3, docs/architecture.md): signed integer minor units, debit positive,
 * credit negative; every entry sums to zero per currency (enforced by a statement
 * trigger in the database, migration 0019: each statement's lines balance per entry, so an entry's lines are
 * inserted in one statement); balances are derived from lines. Entries are unique
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
  /** What open disputes keep from a campaign (credit-normal). */
  campaignHeld: (campaignId: string): AccountRef => ({ kind: "campaign_held", owner: campaignId }),
  /** Money a provider withdrew for open disputes (debit-normal; returned if they are won). */
  disputeReserve: (provider: string): AccountRef => ({ kind: "dispute_reserve", owner: provider }),
};

export interface EntryInput {
  kind: string;
  reference: string;
  description: string;
  /**
   * The payment provider whose money the entry moves ("stripe" | "sandbox"): the contribution's, refund's,
   * dispute's or payout's. A payout pays only the money of its own provider (docs/payouts.md, "Provider
   * separation"); the database refuses an entry without one (migration 0009).
   */
  provider: string;
  currency: string;
  lines: { account: AccountRef; amount: number }[];
}

const refKey = (kind: string, owner: string, currency: string) => `${kind}\u0000${owner}\u0000${currency}`;
const entryKey = (e: { kind: string; reference: string }) => `${e.kind}:${e.reference}`;

/**
 * Post an entry inside the caller's transaction. Returns false when (kind, reference) was already posted.
 * Throws when the lines do not sum to zero, an amount is not a safe integer (minor units) or the provider is empty.
 */
export async function postEntry(tx: Db, e: EntryInput): Promise<boolean> {
  return (await postEntries(tx, [e])).size === 1;
}

/**
 * Post many entries inside the caller's transaction in four statements, whatever
 * their number (the payout run posts one per campaign, a batch at a time).
 * Returns the keys (`kind:reference`) of the entries that were new; entries
 * already posted are skipped, so posting is idempotent.
 *
 * Each entry and its lines are inserted by the same transaction: the database refuses a line whose entry
 * another transaction inserted (migration 0013), and one whose entry was inserted in a savepoint, which
 * has a transaction ID of its own; so never call this inside a nested `tx.transaction()`.
 */
/**
 * Serialize what takes money out of the campaigns `campaignIds` (refunds, disputes, payouts) until the transaction
 * ends: a transaction-scoped advisory lock per campaign, taken in ID order (so that two lockers of several campaigns
 * cannot deadlock). A payout run takes them before it reads the balances (lib/payouts/run.ts) and every entry that
 * debits a campaign's collected account in sum takes its own in `postEntries`: so a refund asked for while a run reads the
 * balance is either seen by the run or posted after the payout, never paid out and refunded both (the chaos
 * harness's long run found a payout larger than what was available when a refund raced it; docs/reliability.md).
 * Contributions only add money (their fee is taken from what they add) and take no lock, so a viral campaign's gifts
 * never wait on each other.
 */
export async function lockCampaignBalances(tx: Db, campaignIds: string[]): Promise<void> {
  if (campaignIds.length === 0) return;
  await tx.execute(sql`
    select pg_advisory_xact_lock(hashtext('crowdfund:campaign-balance'), hashtext(s.id))
    from (select distinct x as id from jsonb_array_elements_text(${JSON.stringify(campaignIds)}::jsonb) as x order by x) as s`);
}

export async function postEntries(tx: Db, entries: EntryInput[]): Promise<Set<string>> {
  for (const e of entries) {
    const sum = e.lines.reduce((s, l) => s + l.amount, 0);
    if (sum !== 0) throw new Error(`ledger entry ${entryKey(e)} does not balance (${sum})`);
    for (const l of e.lines) if (!Number.isSafeInteger(l.amount)) throw new Error("ledger amounts are integers");
    if (!e.provider) throw new Error(`ledger entry ${entryKey(e)} names no provider`);
  }
  const posted = new Set<string>();
  if (entries.length === 0) return posted;
  // The campaigns an entry takes money out of: those whose collected account its lines debit in sum (a debit is
  // positive). Not each debiting line: a contribution's fee line debits its campaign, but the entry credits it the
  // whole amount, so it takes nothing out and must not wait on (nor make wait) a payout run or a refund of that
  // campaign; with PLATFORM_FEE_BPS set, every gift to a viral campaign queued on that campaign's lock.
  const drained = (e: EntryInput) => {
    const net = new Map<string, number>();
    for (const l of e.lines) {
      if (l.account.kind === "campaign_collected") net.set(l.account.owner, (net.get(l.account.owner) ?? 0) + l.amount);
    }
    return [...net].filter(([, sum]) => sum > 0).map(([owner]) => owner);
  };
  const drainedBy = new Map(entries.map((e) => [e, drained(e)]));
  await lockCampaignBalances(tx, [...drainedBy.values()].flat());
  const ids = new Map(entries.map((e) => [entryKey(e), uuidv7()]));
  // Bulk statements take their rows as one jsonb parameter (jsonb_to_recordset), not one bind parameter per
  // value: the payout run posts a thousand entries a batch, and building 6,000 parameters cost more CPU
  // than the insert itself (bench:payouts profile).
  const entryRows = entries.map((e) => ({
    id: ids.get(entryKey(e)),
    kind: e.kind,
    reference: e.reference,
    description: e.description,
    provider: e.provider,
    // Money out of a campaign is stamped when it is posted, after its balance lock (lockCampaignBalances), not
    // when its transaction began: the audit orders it against payouts by this time.
    drains: (drainedBy.get(e) ?? []).length > 0,
  }));
  const inserted = await tx.execute<{ kind: string; reference: string }>(sql`
    insert into ledger_entries (id, kind, reference, description, provider, created_at)
    select r.id, r.kind, r.reference, r.description, r.provider, case when r.drains then clock_timestamp() else now() end
    from jsonb_to_recordset(${JSON.stringify(entryRows)}::jsonb)
      as r(id uuid, kind text, reference text, description text, provider text, drains boolean)
    on conflict do nothing
    returning kind, reference`);
  for (const r of inserted) posted.add(entryKey(r));
  const fresh = entries.filter((e) => posted.has(entryKey(e)));
  if (fresh.length === 0) return posted;

  // Accounts are made on first use: insert the missing ones, then read every ID in one query.
  const refs = new Map<string, { kind: AccountKind; owner: string; currency: string }>();
  for (const e of fresh)
    for (const l of e.lines)
      refs.set(refKey(l.account.kind, l.account.owner, e.currency), { ...l.account, currency: e.currency });
  // In key order, so that concurrent posters insert new accounts in one order and cannot deadlock.
  const wanted = [...refs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  // One statement inserts the missing ones and answers every ID: the new from the insert's RETURNING, the others
  // from the table as the statement's snapshot saw it (rows a statement inserts are not visible to its own read).
  // Compared as the enum (not kind::text) so that the (kind, owner, currency) index answers it.
  const found = (rows: { id: string; kind: string; owner: string; currency: string }[]) =>
    new Map(rows.map((r) => [refKey(r.kind, r.owner, r.currency), r.id]));
  const made = sql`
    insert into ledger_accounts (id, kind, owner, currency)
    select r.id, r.kind::ledger_account_kind, r.owner, r.currency
    from jsonb_to_recordset(${JSON.stringify(wanted.map((r) => ({ id: uuidv7(), ...r })))}::jsonb)
      as r(id uuid, kind text, owner text, currency char(3))
    on conflict do nothing
    returning id, kind, owner, currency`;
  const existing = sql`
    select a.id, a.kind::text as kind, a.owner, a.currency from ledger_accounts a
    join jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as r(kind text, owner text, currency char(3))
      on a.kind = r.kind::ledger_account_kind and a.owner = r.owner and a.currency = r.currency`;
  let accountIds = found(
    await tx.execute<{ id: string; kind: string; owner: string; currency: string }>(
      sql`with made as (${made}) select id, kind::text as kind, owner, currency from made union all ${existing}`,
    ),
  );
  if (accountIds.size < wanted.length) {
    // An account another transaction made and committed after this statement's snapshot was taken (the insert
    // waited for it, then did nothing): read again, with a snapshot that sees it.
    accountIds = found(await tx.execute<{ id: string; kind: string; owner: string; currency: string }>(existing));
  }

  const lines = fresh.flatMap((e) =>
    e.lines
      .filter((l) => l.amount !== 0)
      .map((l) => {
        const accountId = accountIds.get(refKey(l.account.kind, l.account.owner, e.currency));
        if (!accountId) throw new Error("ledger account vanished");
        return { entryId: ids.get(entryKey(e)) as string, accountId, amount: l.amount, currency: e.currency };
      }),
  );
  for (let i = 0; i < lines.length; i += 5000) {
    await tx.execute(sql`
      insert into ledger_lines (entry_id, account_id, amount, currency)
      select r."entryId", r."accountId", r.amount, r.currency
      from jsonb_to_recordset(${JSON.stringify(lines.slice(i, i + 5000))}::jsonb)
        as r("entryId" uuid, "accountId" uuid, amount bigint, currency char(3))`);
  }
  return posted;
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
