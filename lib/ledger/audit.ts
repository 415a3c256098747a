import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { campaignTotals } from "@/lib/events/consumers";
import { consumerLag } from "@/lib/events/lag";

export interface CampaignAudit {
  campaignId: string;
  currency: string;
  succeededSum: number;
  succeededCount: number;
  ledgerCollected: number;
  /** Contribution entries crediting this campaign. */
  ledgerCount: number;
  ledgerFees: number;
  displayedTotal: number;
  displayedCount: number;
  /** Which of the three views disagree, e.g. ["displayed total", "displayed count"]; empty when ok. */
  differences: string[];
  ok: boolean;
}

export interface AuditReport {
  campaigns: CampaignAudit[];
  unbalancedEntries: { entryId: string; currency: string; sum: number }[];
  /** Payouts whose ledger entries do not match their state (made, sent, credited back). */
  payoutMismatches: { payoutId: string; status: string; problem: string }[];
  /**
   * Events the campaign-totals consumer has not applied yet (0 when caught up). While it is behind, a
   * displayed total may still differ for a moment; once it is 0, any difference is a fault.
   */
  totalsLagEvents: number;
  ok: boolean;
}

/**
 * Compare, per campaign: the sum and count of succeeded contributions, what the ledger credited to the
 * campaign's collected account from contributions (gross, and how many entries), and the displayed
 * total and count (`campaigns.collected_amount` / `contribution_count`, kept by the campaign-totals
 * consumer); and look for any entry that does not sum to zero and any payout whose entries do not
 * match its state. Amounts in minor units of each campaign's currency. Invariant 3: sum of succeeded
 * contributions = ledger collected = displayed total, once the consumers have caught up.
 */
export async function auditLedger(db: Db): Promise<AuditReport> {
  const rows = await db.execute<{
    campaign_id: string;
    currency: string;
    succeeded_sum: string;
    succeeded_count: string;
    ledger_collected: string;
    ledger_count: string;
    ledger_fees: string;
    displayed: string;
    displayed_count: number;
  }>(sql`
    with succeeded as (
      select campaign_id, sum(amount) as total, count(*) as n
      from contributions where status = 'succeeded' group by campaign_id
    ),
    ledger as (
      select a.owner::uuid as campaign_id,
             -(sum(l.amount) filter (where l.amount < 0)) as gross,
             sum(l.amount) filter (where l.amount > 0) as fees,
             count(distinct l.entry_id) as n
      from ledger_lines l
      join ledger_accounts a on a.id = l.account_id
      join ledger_entries e on e.id = l.entry_id
      where a.kind = 'campaign_collected' and e.kind = 'contribution'
      group by a.owner
    )
    select c.id as campaign_id, c.currency,
           coalesce(s.total, 0) as succeeded_sum, coalesce(s.n, 0) as succeeded_count,
           coalesce(l.gross, 0) as ledger_collected, coalesce(l.n, 0) as ledger_count, coalesce(l.fees, 0) as ledger_fees,
           c.collected_amount as displayed, c.contribution_count as displayed_count
    from campaigns c
    left join succeeded s on s.campaign_id = c.id
    left join ledger l on l.campaign_id = c.id
    where s.campaign_id is not null or l.campaign_id is not null or c.collected_amount <> 0 or c.contribution_count <> 0
    order by c.id`);
  const campaigns = rows.map((r) => {
    const a = {
      campaignId: r.campaign_id,
      currency: r.currency,
      succeededSum: Number(r.succeeded_sum),
      succeededCount: Number(r.succeeded_count),
      ledgerCollected: Number(r.ledger_collected),
      ledgerCount: Number(r.ledger_count),
      ledgerFees: Number(r.ledger_fees),
      displayedTotal: Number(r.displayed),
      displayedCount: Number(r.displayed_count),
    };
    const differences = [
      a.ledgerCollected !== a.succeededSum && "ledger total",
      a.ledgerCount !== a.succeededCount && "ledger count",
      a.displayedTotal !== a.succeededSum && "displayed total",
      a.displayedCount !== a.succeededCount && "displayed count",
    ].filter((d): d is string => typeof d === "string");
    return { ...a, differences, ok: differences.length === 0 };
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
  const lag = await consumerLag(db);
  return {
    campaigns,
    unbalancedEntries,
    payoutMismatches,
    totalsLagEvents: lag[campaignTotals.name]?.events ?? 0,
    ok: unbalancedEntries.length === 0 && payoutMismatches.length === 0 && campaigns.every((c) => c.ok),
  };
}
