import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { campaignTotals } from "@/lib/events/consumers";
import { consumerLag } from "@/lib/events/lag";

/** One campaign's figures as each source tells them, minor units of `currency`. */
export interface CampaignAudit {
  campaignId: string;
  currency: string;
  /** Contributions whose money arrived (succeeded, partially refunded, refunded): sum and count. */
  paidSum: number;
  paidCount: number;
  /** What the ledger credited to the campaign from contributions (gross), and from how many entries. */
  ledgerCollected: number;
  ledgerCount: number;
  ledgerFees: number;
  /** Paid less refunded less lost disputes: what the page must show once the consumers caught up. */
  netSum: number;
  /** Contributions that still count (succeeded or partially refunded). */
  countedCount: number;
  /** Open disputes' amounts, and what the ledger's held account says. */
  openDisputes: number;
  ledgerHeld: number;
  displayedTotal: number;
  displayedCount: number;
  displayedHeld: number;
  /** Which views disagree, e.g. ["displayed total", "held"]; empty when ok. */
  differences: string[];
  ok: boolean;
}

export interface AuditReport {
  campaigns: CampaignAudit[];
  unbalancedEntries: { entryId: string; currency: string; sum: number }[];
  /** Payouts whose ledger entries do not match their state, or that paid more than was available. */
  payoutMismatches: { payoutId: string; campaignId: string; status: string; problem: string }[];
  /** Contributions whose refunds, refunded amount and ledger net disagree. */
  contributionMismatches: { contributionId: string; campaignId: string; problem: string }[];
  /** Refunds whose ledger entries do not match their state. */
  refundMismatches: { refundId: string; campaignId: string; status: string; problem: string }[];
  /**
   * Entries whose provider is not the provider of the money they move: a line on another provider's
   * clearing or reserve account, or an entry of a contribution, refund, dispute or payout naming another
   * provider than its row.
   */
  providerMismatches: { entryId: string; kind: string; reference: string; provider: string; problem: string }[];
  /**
   * Checkpoints of complete ledger marks (lib/payouts/checkpoints.ts) that differ from the sum of the lines they
   * stand for, minor units: a wrong, missing or extra one would make the daily flush pay a wrong amount.
   */
  checkpointMismatches: { markId: number; accountId: string; provider: string; stored: number; lines: number }[];
  /**
   * Partitions of `ledger_lines` a line can be written to without the ledger's checks: the statement trigger of
   * migration 0019 is not cloned onto partitions, so one made by hand (not by `ensure_time_partitions`) lacks it.
   */
  uncheckedPartitions: string[];
  /**
   * Events the campaign-totals consumer has not applied yet (0 when caught up). While it is behind, a
   * displayed figure may still differ for a moment; once it is 0, any difference is a fault.
   */
  totalsLagEvents: number;
  ok: boolean;
}

/**
 * The ledger audit (`npm run cli -- ledger audit`), invariants 2–6 of docs/architecture.md, every amount
 * in minor units of its currency:
 * - every entry sums to zero per currency;
 * - per campaign: paid contributions = what contribution entries credited (gross and count); paid −
 *   refunded − lost disputes = displayed total; contributions not fully refunded = displayed count;
 *   open disputes = the held account = displayed held;
 * - per contribution: its refunded amount = its refunds that did not fail; its ledger net at the
 *   provider (contribution entry less its refunds' entries) = paid − refunded;
 * - per refund: one `refund` entry, and a `refund_failed` reversal exactly when it failed;
 * - per entry: its provider is the one whose money it moves (the owner of its provider accounts' lines,
 *   its contribution's, refund's, dispute's or payout's provider);
 * - per payout: entries matching its state (made, sent, credited back), and an amount no larger than
 *   the campaign's balance in the payout's provider when it was made (only that provider's entries:
 *   a payout pays only the money its provider collected), counting only contributions settled before its
 *   `available_before`. (That check reads entry times; a refund committed while the run was reading the
 *   campaign can make it flag a payout that was right when made: look at that campaign by hand.)
 * - per complete ledger mark: each campaign account's stored checkpoint = the sum of its lines up to the mark,
 *   per provider (lib/payouts/checkpoints.ts), none missing and none extra;
 * - every partition of `ledger_lines` carries the ledger's statement check, enabled (migration 0019);
 * Figures the consumers keep (displayed) are compared too; `totalsLagEvents` says if they are behind.
 */
export async function auditLedger(db: Db): Promise<AuditReport> {
  const rows = await db.execute<{
    campaign_id: string;
    currency: string;
    paid_sum: string;
    paid_count: string;
    net_sum: string;
    counted: string;
    lost: string;
    open_disputes: string;
    ledger_collected: string;
    ledger_count: string;
    ledger_fees: string;
    ledger_held: string;
    displayed: string;
    displayed_count: number;
    displayed_held: string;
  }>(sql`
    with paid as (
      select campaign_id, sum(amount) as total, count(*) as n, sum(amount - refunded_amount) as net,
             count(*) filter (where status in ('succeeded', 'partially_refunded')) as counted
      from contributions where status in ('succeeded', 'partially_refunded', 'refunded') group by campaign_id
    ),
    disputed as (
      select campaign_id,
             coalesce(sum(amount) filter (where outcome = 'lost'), 0) as lost,
             coalesce(sum(amount) filter (where outcome is null), 0) as open
      from disputes group by campaign_id
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
    ),
    held as (
      select a.owner::uuid as campaign_id, -sum(l.amount) as held
      from ledger_lines l join ledger_accounts a on a.id = l.account_id
      where a.kind = 'campaign_held'
      group by a.owner
    )
    select c.id as campaign_id, c.currency,
           coalesce(p.total, 0) as paid_sum, coalesce(p.n, 0) as paid_count,
           coalesce(p.net, 0) as net_sum, coalesce(p.counted, 0) as counted,
           coalesce(d.lost, 0) as lost, coalesce(d.open, 0) as open_disputes,
           coalesce(l.gross, 0) as ledger_collected, coalesce(l.n, 0) as ledger_count, coalesce(l.fees, 0) as ledger_fees,
           coalesce(h.held, 0) as ledger_held,
           c.collected_amount as displayed, c.contribution_count as displayed_count, c.held_amount as displayed_held
    from campaigns c
    left join paid p on p.campaign_id = c.id
    left join disputed d on d.campaign_id = c.id
    left join ledger l on l.campaign_id = c.id
    left join held h on h.campaign_id = c.id
    where p.campaign_id is not null or l.campaign_id is not null or d.campaign_id is not null or h.campaign_id is not null
       or c.collected_amount <> 0 or c.contribution_count <> 0 or c.held_amount <> 0
    order by c.id`);
  const campaigns = rows.map((r) => {
    const a = {
      campaignId: r.campaign_id,
      currency: r.currency,
      paidSum: Number(r.paid_sum),
      paidCount: Number(r.paid_count),
      ledgerCollected: Number(r.ledger_collected),
      ledgerCount: Number(r.ledger_count),
      ledgerFees: Number(r.ledger_fees),
      netSum: Number(r.net_sum) - Number(r.lost),
      countedCount: Number(r.counted),
      openDisputes: Number(r.open_disputes),
      ledgerHeld: Number(r.ledger_held),
      displayedTotal: Number(r.displayed),
      displayedCount: Number(r.displayed_count),
      displayedHeld: Number(r.displayed_held),
    };
    const differences = [
      a.ledgerCollected !== a.paidSum && "ledger total",
      a.ledgerCount !== a.paidCount && "ledger count",
      a.ledgerHeld !== a.openDisputes && "held",
      a.displayedTotal !== a.netSum && "displayed total",
      a.displayedCount !== a.countedCount && "displayed count",
      a.displayedHeld !== a.openDisputes && "displayed held",
    ].filter((d): d is string => typeof d === "string");
    return { ...a, differences, ok: differences.length === 0 };
  });

  const unbalanced = await db.execute<{ entry_id: string; currency: string; total: string }>(sql`
    select entry_id, currency, sum(amount) as total from ledger_lines
    group by entry_id, currency having sum(amount) <> 0`);
  const unbalancedEntries = unbalanced.map((u) => ({ entryId: u.entry_id, currency: u.currency, sum: Number(u.total) }));

  // Per contribution: refunded_amount against its live refunds, and its net at the provider against the ledger.
  const contributionRows = await db.execute<{
    id: string;
    campaign_id: string;
    status: string;
    amount: string;
    refunded_amount: string;
    live_refunds: string;
    ledger_net: string;
  }>(sql`
    with refs as (
      select contribution_id, coalesce(sum(amount) filter (where status <> 'failed'), 0) as live
      from refunds group by contribution_id
    ),
    net as (
      select coalesce(r.contribution_id::text, e.reference) as contribution_id, sum(l.amount) as net
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id and a.kind = 'provider_clearing'
      left join refunds r on e.kind in ('refund', 'refund_failed') and r.id::text = e.reference
      where e.kind in ('contribution', 'refund', 'refund_failed')
      group by 1
    )
    select c.id, c.campaign_id, c.status::text as status, c.amount, c.refunded_amount,
           coalesce(r.live, 0) as live_refunds, coalesce(n.net, 0) as ledger_net
    from contributions c
    left join refs r on r.contribution_id = c.id
    left join net n on n.contribution_id = c.id::text
    where c.refunded_amount <> coalesce(r.live, 0)
       or coalesce(n.net, 0) <> case when c.status in ('succeeded', 'partially_refunded', 'refunded')
                                     then c.amount - c.refunded_amount else 0 end
       or (c.status = 'refunded') <> (c.refunded_amount = c.amount and c.status in ('succeeded', 'partially_refunded', 'refunded'))`);
  const contributionMismatches = contributionRows.map((c) => {
    const paid = ["succeeded", "partially_refunded", "refunded"].includes(c.status);
    const expected = paid ? Number(c.amount) - Number(c.refunded_amount) : 0;
    const problem =
      Number(c.refunded_amount) !== Number(c.live_refunds)
        ? `refunded amount ${c.refunded_amount} but its refunds add up to ${c.live_refunds}`
        : Number(c.ledger_net) !== expected
          ? `ledger net ${c.ledger_net} but ${c.status} ${c.amount} less refunded ${c.refunded_amount} is ${expected}`
          : `status ${c.status} does not match refunded ${c.refunded_amount} of ${c.amount}`;
    return { contributionId: c.id, campaignId: c.campaign_id, problem };
  });

  const refundRows = await db.execute<{ id: string; campaign_id: string; status: string; made: boolean; reversed: boolean }>(sql`
    select r.id, r.campaign_id, r.status::text as status,
           exists (select 1 from ledger_entries e where e.kind = 'refund' and e.reference = r.id::text) as made,
           exists (select 1 from ledger_entries e where e.kind = 'refund_failed' and e.reference = r.id::text) as reversed
    from refunds r
    where not exists (select 1 from ledger_entries e where e.kind = 'refund' and e.reference = r.id::text)
       or (r.status = 'failed') <> exists (select 1 from ledger_entries e where e.kind = 'refund_failed' and e.reference = r.id::text)`);
  const refundMismatches = refundRows.map((r) => ({
    refundId: r.id,
    campaignId: r.campaign_id,
    status: r.status,
    problem: !r.made ? "no refund entry" : r.reversed ? "reversed but not failed" : "failed but not reversed",
  }));

  // Each payout has its `payout` entry; sent ones (submitted, paid) a `payout_submitted`; failed ones a
  // `payout_failed` crediting the campaign back; and it paid no more than the campaign had available.
  const payoutRows = await db.execute<{
    id: string;
    campaign_id: string;
    status: string;
    amount: string;
    made: boolean;
    sent: boolean;
    failed: boolean;
    available: string | null;
  }>(sql`
    select p.id, p.campaign_id, p.status::text as status, p.amount,
           pe.id is not null as made,
           exists (select 1 from ledger_entries e where e.kind = 'payout_submitted' and e.reference = p.id::text) as sent,
           exists (select 1 from ledger_entries e where e.kind = 'payout_failed' and e.reference = p.id::text) as failed,
           case when p.available_before is null or pe.id is null then null else (
             select coalesce(-sum(l.amount), 0) from ledger_lines l
             join ledger_accounts a on a.id = l.account_id
             join ledger_entries e on e.id = l.entry_id
             where a.kind = 'campaign_collected' and a.owner = p.campaign_id::text and a.currency = p.currency
               and e.provider = p.provider and e.created_at < pe.created_at
               and (e.kind <> 'contribution' or e.created_at < p.available_before)
           ) end as available
    from payouts p
    left join ledger_entries pe on pe.kind = 'payout' and pe.reference = p.id::text`);
  const payoutMismatches = payoutRows.flatMap((p) => {
    const problems: string[] = [];
    if (!p.made) problems.push("no payout entry");
    if ((p.status === "submitted" || p.status === "paid") && !p.sent) problems.push("sent without a transfer entry");
    if (p.status === "pending" && p.sent) problems.push("transfer entry on a pending payout");
    if (p.status === "failed" && !p.failed) problems.push("failed but not credited back");
    if (p.status !== "failed" && p.failed) problems.push("credited back but not failed");
    if (p.available !== null && Number(p.amount) > Number(p.available))
      problems.push(`paid ${p.amount} but only ${p.available} was available at its cut-off`);
    return problems.map((problem) => ({ payoutId: p.id, campaignId: p.campaign_id, status: p.status, problem }));
  });

  // Each entry moves one provider's money, named on the entry (docs/payouts.md, "Provider separation").
  const providerRows = await db.execute<{ id: string; kind: string; reference: string; provider: string; problem: string }>(sql`
    select e.id, e.kind, e.reference, e.provider, 'a line on ' || a.kind::text || ' of ' || a.owner as problem
    from ledger_entries e
    join ledger_lines l on l.entry_id = e.id
    join ledger_accounts a on a.id = l.account_id
    where a.kind in ('provider_clearing', 'dispute_reserve') and a.owner <> e.provider
    union all
    select e.id, e.kind, e.reference, e.provider, 'its row is of ' || coalesce(c.provider, r.provider, d.provider, p.provider) as problem
    from ledger_entries e
    left join contributions c on e.kind = 'contribution' and c.id::text = e.reference
    left join refunds r on e.kind in ('refund', 'refund_failed') and r.id::text = e.reference
    left join disputes d on e.kind like 'dispute%' and d.id = e.reference
    left join payouts p on e.kind in ('payout', 'payout_submitted', 'payout_failed') and p.id::text = e.reference
    where coalesce(c.provider, r.provider, d.provider, p.provider) <> e.provider`);
  const providerMismatches = providerRows.map((r) => ({
    entryId: r.id,
    kind: r.kind,
    reference: r.reference,
    provider: r.provider,
    problem: r.problem,
  }));

  // Each complete mark's checkpoints against the lines up to it, computed again from the whole history.
  const checkpointRows = await db.execute<{
    mark_id: string;
    account_id: string;
    provider: string;
    stored: string | null;
    lines: string | null;
  }>(sql`
    with m as (select id, upto_line from ledger_marks where complete_at is not null),
    truth as (
      select m.id as mark_id, l.account_id, e.provider, sum(l.amount) as balance
      from m
      join ledger_lines l on l.id <= m.upto_line
      join ledger_accounts a on a.id = l.account_id and a.kind = 'campaign_collected'
      join ledger_entries e on e.id = l.entry_id
      group by m.id, l.account_id, e.provider
      having sum(l.amount) <> 0
    ),
    stored as (select mark_id, account_id, provider, balance from ledger_checkpoints where mark_id in (select id from m))
    select coalesce(t.mark_id, s.mark_id) as mark_id, coalesce(t.account_id, s.account_id) as account_id,
           coalesce(t.provider, s.provider) as provider, s.balance as stored, t.balance as lines
    from truth t full join stored s on s.mark_id = t.mark_id and s.account_id = t.account_id and s.provider = t.provider
    where t.balance is distinct from s.balance`);
  const checkpointMismatches = checkpointRows.map((r) => ({
    markId: Number(r.mark_id),
    accountId: r.account_id,
    provider: r.provider,
    stored: Number(r.stored ?? 0),
    lines: Number(r.lines ?? 0),
  }));

  const unchecked = await db.execute<{ name: string }>(sql`
    select c.relname as name from pg_partition_tree('ledger_lines') t join pg_class c on c.oid = t.relid
    where not exists (select 1 from pg_trigger g where g.tgrelid = t.relid and g.tgname = 'ledger_lines_checked'
                        and g.tgenabled <> 'D')
    order by 1`);
  const uncheckedPartitions = unchecked.map((r) => r.name);

  const lag = await consumerLag(db);
  return {
    campaigns,
    unbalancedEntries,
    payoutMismatches,
    contributionMismatches,
    refundMismatches,
    providerMismatches,
    checkpointMismatches,
    uncheckedPartitions,
    totalsLagEvents: lag[campaignTotals.name]?.events ?? 0,
    ok:
      unbalancedEntries.length === 0 &&
      payoutMismatches.length === 0 &&
      contributionMismatches.length === 0 &&
      refundMismatches.length === 0 &&
      providerMismatches.length === 0 &&
      checkpointMismatches.length === 0 &&
      uncheckedPartitions.length === 0 &&
      campaigns.every((c) => c.ok),
  };
}
