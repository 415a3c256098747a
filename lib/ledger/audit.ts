import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

export interface CampaignAudit {
  campaignId: string;
  currency: string;
  succeededSum: number;
  succeededCount: number;
  ledgerCollected: number;
  ledgerFees: number;
  displayedTotal: number;
  ok: boolean;
}

export interface AuditReport {
  campaigns: CampaignAudit[];
  unbalancedEntries: { entryId: string; currency: string; sum: number }[];
  /** Payouts whose ledger entries do not match their state (made, sent, credited back). */
  payoutMismatches: { payoutId: string; status: string; problem: string }[];
  ok: boolean;
}

/**
 * Compare, per campaign: the sum of succeeded contributions, what the ledger
 * credited to the campaign's collected account from contributions (gross), and
 * the displayed total; and look for any entry that does not sum to zero.
 */
export async function auditLedger(db: Db): Promise<AuditReport> {
  const rows = await db.execute<{
    campaign_id: string;
    currency: string;
    succeeded_sum: string;
    succeeded_count: string;
    ledger_collected: string;
    ledger_fees: string;
    displayed: string;
  }>(sql`
    with succeeded as (
      select campaign_id, sum(amount) as total, count(*) as n
      from contributions where status = 'succeeded' group by campaign_id
    ),
    ledger as (
      select a.owner::uuid as campaign_id,
             -(sum(l.amount) filter (where l.amount < 0)) as gross,
             sum(l.amount) filter (where l.amount > 0) as fees
      from ledger_lines l
      join ledger_accounts a on a.id = l.account_id
      join ledger_entries e on e.id = l.entry_id
      where a.kind = 'campaign_collected' and e.kind = 'contribution'
      group by a.owner
    )
    select c.id as campaign_id, c.currency,
           coalesce(s.total, 0) as succeeded_sum, coalesce(s.n, 0) as succeeded_count,
           coalesce(l.gross, 0) as ledger_collected, coalesce(l.fees, 0) as ledger_fees,
           c.collected_amount as displayed
    from campaigns c
    left join succeeded s on s.campaign_id = c.id
    left join ledger l on l.campaign_id = c.id
    where s.campaign_id is not null or l.campaign_id is not null or c.collected_amount <> 0
    order by c.id`);
  const campaigns = rows.map((r) => {
    const a = {
      campaignId: r.campaign_id,
      currency: r.currency,
      succeededSum: Number(r.succeeded_sum),
      succeededCount: Number(r.succeeded_count),
      ledgerCollected: Number(r.ledger_collected),
      ledgerFees: Number(r.ledger_fees),
      displayedTotal: Number(r.displayed),
    };
    return { ...a, ok: a.succeededSum === a.ledgerCollected && a.displayedTotal === a.succeededSum };
  });
  const unbalanced = await db.execute<{ entry_id: string; currency: string; total: string }>(sql`
    select entry_id, currency, sum(amount) as total from ledger_lines
    group by entry_id, currency having sum(amount) <> 0`);
  const unbalancedEntries = unbalanced.map((u) => ({ entryId: u.entry_id, currency: u.currency, sum: Number(u.total) }));
  // Each payout has its `payout` entry; sent ones (submitted, paid) a `payout_submitted`; failed ones a
  // `payout_failed` crediting the campaign back; and nothing else.
  const payoutRows = await db.execute<{ id: string; status: string; made: boolean; sent: boolean; failed: boolean }>(sql`
    select p.id, p.status::text as status,
           exists (select 1 from ledger_entries e where e.kind = 'payout' and e.reference = p.id::text) as made,
           exists (select 1 from ledger_entries e where e.kind = 'payout_submitted' and e.reference = p.id::text) as sent,
           exists (select 1 from ledger_entries e where e.kind = 'payout_failed' and e.reference = p.id::text) as failed
    from payouts p`);
  const payoutMismatches = payoutRows.flatMap((p) => {
    const problems: string[] = [];
    if (!p.made) problems.push("no payout entry");
    if ((p.status === "submitted" || p.status === "paid") && !p.sent) problems.push("sent without a transfer entry");
    if (p.status === "pending" && p.sent) problems.push("transfer entry on a pending payout");
    if (p.status === "failed" && !p.failed) problems.push("failed but not credited back");
    if (p.status !== "failed" && p.failed) problems.push("credited back but not failed");
    return problems.map((problem) => ({ payoutId: p.id, status: p.status, problem }));
  });
  return {
    campaigns,
    unbalancedEntries,
    payoutMismatches,
    ok: unbalancedEntries.length === 0 && payoutMismatches.length === 0 && campaigns.every((c) => c.ok),
  };
}
