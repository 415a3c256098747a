import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { campaignTotals } from "@/lib/events/consumers";
import { consumerLag } from "@/lib/events/lag";
import { auditLedger } from "@/lib/ledger/audit";
import type { CampaignRef, Outcome } from "./workload";

/** Whether sandbox payment `sp` has succeeded on the sandbox's side (see auditRun). */
const SUCCEEDED_AT_PROVIDER = sql.raw(
  "(sp.status = 'succeeded' or (sp.status = 'processing' and sp.settles_at is not null and sp.settles_at <= now()))",
);

/** One broken promise the audit found: its kind (the summary counts by kind) and what exactly is wrong. */
export interface Violation {
  kind: string;
  detail: string;
}

/**
 * The checks after a run (docs/reliability.md, "The promises"), against the database as its owner and the clients'
 * log of acknowledged answers. Each rule is checked from two sides where it can be: what the app recorded, and what
 * the payment provider (the sandbox's own tables, standing in for Stripe's dashboard) says happened.
 *
 * - every acknowledged contribution and refund exists, once, with the acknowledged ID; every contribution row is the
 *   one of exactly one client idempotency key;
 * - no payment was charged twice (one provider PaymentIntent per contribution, one provider Refund per refund), and
 *   what the provider charged is what the app recorded, both ways;
 * - every acknowledged edit is there: a campaign's title is its last acknowledged one (or a later attempt whose
 *   answer was lost);
 * - the ledger audit (`npm run cli -- ledger audit`'s function) finds nothing: entries balance, totals match the
 *   contributions less refunds once the consumers caught up, payouts never paid more than was available;
 * - each campaign and day was paid at most once, and the provider sent at most one transfer per payout;
 * - a campaign's displayed total equals what the provider holds for it (charged less refunded);
 * - the refunds of a contribution never exceed it.
 */
export async function auditRun(
  db: Db,
  p: { outcomes: Outcome[]; campaigns: CampaignRef[]; clientKeys: string[] },
): Promise<Violation[]> {
  const v: Violation[] = [];
  const add = (kind: string, detail: string) => v.push({ kind, detail });

  // Acknowledged contributions: each exists, once, and is the row its key points to.
  const ours = new Set(p.clientKeys);
  const keyed = (
    await db.execute<{ key: string; contribution_id: string | null }>(sql`select key, contribution_id from idempotency_keys`)
  ).filter((k) => ours.has(k.key));
  const byKey = new Map(keyed.map((k) => [k.key, k.contribution_id]));
  const rows = await db.execute<{ id: string; status: string; amount: string; campaign_id: string; refunded_amount: string }>(
    sql`select id, status::text as status, amount, campaign_id, refunded_amount from contributions`,
  );
  const contributionRows = new Map(rows.map((r) => [r.id, r]));
  for (const o of p.outcomes.filter((x) => x.kind === "contribution" && x.result === "ack")) {
    if (!o.id || !contributionRows.has(o.id)) add("acknowledged contribution lost", `op ${o.n} key ${o.key}: ${o.id} not found`);
    else if (byKey.get(o.key ?? "") !== o.id) add("acknowledged contribution lost", `op ${o.n}: key ${o.key} points elsewhere`);
  }
  const owners = new Map<string, number>();
  for (const k of keyed) if (k.contribution_id) owners.set(k.contribution_id, (owners.get(k.contribution_id) ?? 0) + 1);
  for (const r of rows) {
    const n = owners.get(r.id) ?? 0;
    if (n !== 1) add("contribution without exactly one key", `contribution ${r.id} is the result of ${n} idempotency keys`);
  }

  // Refunds: each acknowledged one exists with its ID; the live refunds of a contribution never exceed it.
  const refunds = await db.execute<{ id: string; contribution_id: string; amount: string; status: string }>(
    sql`select id, contribution_id, amount, status::text as status from refunds`,
  );
  const refundIds = new Set(refunds.map((r) => r.id));
  for (const o of p.outcomes.filter((x) => x.kind === "refund" && x.result === "ack")) {
    if (!o.id || !refundIds.has(o.id)) add("acknowledged refund lost", `op ${o.n} key ${o.key}: ${o.id} not found`);
  }
  const live = new Map<string, number>();
  for (const r of refunds)
    if (r.status !== "failed") live.set(r.contribution_id, (live.get(r.contribution_id) ?? 0) + Number(r.amount));
  for (const [id, sum] of live) {
    const c = contributionRows.get(id);
    if (c && sum > Number(c.amount)) add("refunds exceed contribution", `contribution ${id}: ${sum} refunded of ${c.amount}`);
  }

  // The provider's side: one PaymentIntent per contribution, one Refund per refund, and both agree with the app. A
  // sandbox payment still `processing` past its `settles_at` has succeeded on the sandbox's clock (it writes that down
  // lazily, when it next reads the row: lib/payments/sandbox.ts `settleDue`), so that is its status here.
  for (const d of await db.execute<{ contribution_id: string; n: string }>(sql`
      select metadata->>'contribution_id' as contribution_id, count(*) as n from sandbox_payments
      group by 1 having count(*) > 1`)) {
    add("payment charged twice", `contribution ${d.contribution_id} has ${d.n} PaymentIntents`);
  }
  for (const d of await db.execute<{ refund_id: string; n: string }>(sql`
      select metadata->>'refund_id' as refund_id, count(*) as n from sandbox_refunds
      where metadata->>'refund_id' is not null group by 1 having count(*) > 1`)) {
    add("refund sent twice", `refund ${d.refund_id} has ${d.n} provider refunds`);
  }
  for (const d of await db.execute<{ id: string; app: string | null; provider: string }>(sql`
      select sp.metadata->>'contribution_id' as id, c.status::text as app, sp.status as provider
      from sandbox_payments sp left join contributions c on c.id::text = sp.metadata->>'contribution_id'
      where ${SUCCEEDED_AT_PROVIDER} <> coalesce(c.status in ('succeeded', 'partially_refunded', 'refunded'), false)`)) {
    add("provider and app disagree", `contribution ${d.id}: provider ${d.provider}, app ${d.app ?? "no row"}`);
  }
  for (const d of await db.execute<{ id: string }>(sql`
      select c.id from contributions c
      where c.status in ('succeeded', 'partially_refunded', 'refunded')
        and not exists (select 1 from sandbox_payments sp where sp.metadata->>'contribution_id' = c.id::text and ${SUCCEEDED_AT_PROVIDER})`)) {
    add("provider and app disagree", `contribution ${d.id} is paid in the app, never charged at the provider`);
  }

  // Edits: the last acknowledged title of each campaign (a later unanswered attempt may have landed too).
  const titles = new Map(
    (await db.execute<{ id: string; title: string }>(sql`select id, title from campaigns`)).map((r) => [r.id, r.title]),
  );
  const edits = p.outcomes.filter((o) => o.kind === "edit").sort((a, b) => a.n - b.n);
  for (const c of p.campaigns) {
    const mine = edits.filter((e) => e.campaign === c.index);
    const lastAck = mine.filter((e) => e.result === "ack").at(-1);
    if (!lastAck) continue;
    const allowed = new Set([
      lastAck.title,
      ...mine.filter((e) => e.n > lastAck.n && e.result === "no_answer").map((e) => e.title),
    ]);
    const now = titles.get(c.id) ?? "";
    if (!allowed.has(now))
      add("acknowledged edit lost", `campaign ${c.index}: title "${now}", last acknowledged "${lastAck.title}"`);
  }

  // The ledger audit: balances, totals, refunds, payouts against what was available.
  const ledger = await auditLedger(db);
  for (const c of ledger.campaigns.filter((x) => !x.ok))
    add("ledger audit: campaign", `${c.campaignId}: ${c.differences.join(", ")}`);
  for (const u of ledger.unbalancedEntries) add("ledger audit: unbalanced entry", `${u.entryId}: ${u.sum} ${u.currency}`);
  for (const x of ledger.payoutMismatches) add("ledger audit: payout", `${x.payoutId}: ${x.problem}`);
  for (const x of ledger.contributionMismatches) add("ledger audit: contribution", `${x.contributionId}: ${x.problem}`);
  for (const x of ledger.refundMismatches) add("ledger audit: refund", `${x.refundId}: ${x.problem}`);
  for (const x of ledger.providerMismatches) add("ledger audit: provider", `${x.entryId}: ${x.problem}`);
  for (const x of ledger.checkpointMismatches)
    add("ledger audit: checkpoint", `mark ${x.markId} account ${x.accountId}: stored ${x.stored}, lines ${x.lines}`);
  for (const name of ledger.uncheckedPartitions) add("ledger audit: unchecked partition", name);
  if (ledger.totalsLagEvents > 0) add("totals consumer behind", `${ledger.totalsLagEvents} events not applied`);

  // Payouts: one per campaign and day; at most one live transfer per payout at the provider.
  for (const d of await db.execute<{ campaign_id: string; payout_date: string; n: string }>(sql`
      select campaign_id, payout_date::text, count(*) as n from payouts group by 1, 2 having count(*) > 1`)) {
    add("campaign paid twice in a day", `campaign ${d.campaign_id} on ${d.payout_date}: ${d.n} payouts`);
  }
  for (const d of await db.execute<{ transfer_group: string; n: string }>(sql`
      select transfer_group, count(*) as n from sandbox_transfers where status <> 'failed' group by 1 having count(*) > 1`)) {
    add("payout sent twice", `payout ${d.transfer_group}: ${d.n} transfers`);
  }

  // What the provider holds for each campaign (charged less refunded, in the sandbox's units: this run's
  // currencies have the same exponent in both) is its displayed total.
  for (const d of await db.execute<{ id: string; displayed: string; provider: string }>(sql`
      with charged as (
        select (metadata->>'campaign_id')::uuid as campaign_id, sum(amount) as total
        from sandbox_payments sp where ${SUCCEEDED_AT_PROVIDER} group by 1),
      back as (
        select (sp.metadata->>'campaign_id')::uuid as campaign_id, sum(r.amount) as total
        from sandbox_refunds r join sandbox_payments sp on sp.id = r.payment_id where r.status <> 'failed' group by 1)
      select c.id, c.collected_amount as displayed, coalesce(ch.total, 0) - coalesce(b.total, 0) as provider
      from campaigns c left join charged ch on ch.campaign_id = c.id left join back b on b.campaign_id = c.id
      where c.collected_amount <> coalesce(ch.total, 0) - coalesce(b.total, 0)`)) {
    add("total differs from the provider", `campaign ${d.id}: shows ${d.displayed}, provider holds ${d.provider}`);
  }
  return v;
}

/**
 * What is still in flight: pending contributions and refunds, undelivered sandbox events, open payouts, and events
 * the totals consumer has not applied. The run waits for all of it to reach zero before auditing.
 */
export async function inFlight(db: Db): Promise<Record<string, number>> {
  const [r] = await db.execute<Record<string, string>>(sql`
    select (select count(*) from contributions where status = 'pending') as "pending contributions",
           (select count(*) from refunds where status = 'pending') as "pending refunds",
           (select count(*) from sandbox_events where delivered_at is null) as "undelivered webhooks",
           (select count(*) from payouts where status in ('pending', 'submitted')) as "open payouts"`);
  const counts = Object.fromEntries(Object.entries(r ?? {}).map(([k, n]) => [k, Number(n)]));
  counts["events behind"] = (await consumerLag(db))[campaignTotals.name]?.events ?? 0;
  return counts;
}
