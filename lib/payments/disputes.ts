import { desc, eq, isNotNull, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { campaigns, contributions, disputes } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { appendEvent } from "@/lib/events/outbox";
import { accounts, type EntryInput, postEntry } from "@/lib/ledger";
import type { PublicUser } from "@/lib/users";
import type { ProviderDispute } from "./provider";
import type { DisputeDto } from "./schemas";
import { settleOnce } from "./settle";

/**
 * Disputes (chargebacks), as the provider reports them (docs/payments.md, "Money that comes back").
 * Ledger, per dispute of amount A (minor units), each entry posted once (unique kind + dispute ID):
 *
 * | entry                       | when                              | lines                                   |
 * |-----------------------------|-----------------------------------|-----------------------------------------|
 * | dispute_opened              | first news of the dispute         | campaign collected +A, campaign held −A |
 * | dispute_funds_withdrawn     | the provider took A from our balance | provider clearing −A, dispute reserve +A |
 * | dispute_fee                 | with the withdrawal, fee F > 0    | platform fees +F, provider clearing −F  |
 * | dispute_funds_reinstated    | the provider gave A back (won)    | dispute reserve −A, provider clearing +A |
 * | dispute_won                 | closed won (or inquiry closed)    | campaign held +A, campaign collected −A |
 * | dispute_lost                | closed lost                       | campaign held +A, dispute reserve −A    |
 *
 * So while a dispute is open its amount cannot be paid out (it left campaign_collected); won gives it
 * back to the campaign; lost takes it for good (the withdrawal is posted first if its event was
 * missed). The platform carries the dispute fee: the creator is not charged for a cardholder's dispute.
 */

export type DisputeSettleResult = "applied" | "unchanged" | "duplicate_event" | "unknown_payment";

type DisputeRow = typeof disputes.$inferSelect;

/** Stripe's closed statuses: won, lost, and warning_closed (an inquiry that never became a dispute). */
function outcomeOf(status: string): "won" | "lost" | null {
  if (status === "won" || status === "warning_closed") return "won";
  if (status === "lost") return "lost";
  return null;
}

export interface SettleDisputeInput {
  provider: string;
  dispute: ProviderDispute;
  /** The webhook event; its type tells a funds withdrawal or reinstatement apart from a status change. */
  event: { id: string; type: string };
}

/**
 * The ONE function that applies dispute news (charge.dispute.created / updated / closed /
 * funds_withdrawn / funds_reinstated), exactly once per event and idempotent per state: each step is
 * taken once, whatever order or number of deliveries. Returns the campaign whose figures moved.
 */
export async function settleDispute(
  db: Db,
  input: SettleDisputeInput,
): Promise<{ result: DisputeSettleResult; campaignId?: string }> {
  return settleOnce(db, { provider: input.provider, event: input.event, paymentId: input.dispute.paymentId }, (tx) =>
    applyDispute(tx, input),
  );
}

async function applyDispute(tx: Db, input: SettleDisputeInput): Promise<{ result: DisputeSettleResult; campaignId?: string }> {
  const d = input.dispute;
  const [c] = await tx.select().from(contributions).where(eq(contributions.providerPaymentId, d.paymentId)).for("update");
  if (!c) return { result: "unknown_payment" };
  const entries: EntryInput[] = [];
  const entry = (kind: string, description: string, lines: EntryInput["lines"]) =>
    entries.push({
      kind,
      reference: d.id,
      description: `${description} (dispute ${d.id}, contribution ${c.id})`,
      provider: input.provider,
      currency: c.currency,
      lines,
    });
  const collected = accounts.campaignCollected(c.campaignId);
  const held = accounts.campaignHeld(c.campaignId);
  const clearing = accounts.providerClearing(input.provider);
  const reserve = accounts.disputeReserve(input.provider);

  let [row] = await tx.select().from(disputes).where(eq(disputes.id, d.id)).for("update");
  let changed = false;
  if (!row) {
    [row] = await tx
      .insert(disputes)
      .values({
        id: d.id,
        provider: input.provider,
        contributionId: c.id,
        campaignId: c.campaignId,
        amount: d.amount,
        currency: c.currency,
        status: d.status,
        reason: d.reason ?? null,
      })
      .returning();
    if (!row) throw new Error("dispute insert returned nothing");
    entry("dispute_opened", "Disputed amount held", [
      { account: collected, amount: row.amount },
      { account: held, amount: -row.amount },
    ]);
    await appendEvent(tx, {
      type: "dispute.opened",
      partitionKey: c.campaignId,
      payload: { disputeId: row.id, contributionId: c.id, campaignId: c.campaignId, amount: row.amount, currency: c.currency },
    });
    changed = true;
  }
  const A = row.amount;
  const set: Partial<DisputeRow> = { status: d.status };
  const withdraw = () => {
    entry("dispute_funds_withdrawn", "Disputed amount withdrawn by the provider", [
      { account: clearing, amount: -A },
      { account: reserve, amount: A },
    ]);
    if (d.fee > 0) {
      entry("dispute_fee", "Dispute fee", [
        { account: accounts.platformFees(), amount: d.fee },
        { account: clearing, amount: -d.fee },
      ]);
      set.fee = d.fee;
    }
    set.fundsWithdrawnAt = new Date();
  };
  if (input.event.type === "charge.dispute.funds_withdrawn" && !row.fundsWithdrawnAt) withdraw();
  if (input.event.type === "charge.dispute.funds_reinstated" && row.fundsWithdrawnAt && !row.fundsReinstatedAt) {
    entry("dispute_funds_reinstated", "Disputed amount returned by the provider", [
      { account: reserve, amount: -A },
      { account: clearing, amount: A },
    ]);
    set.fundsReinstatedAt = new Date();
  }
  const outcome = outcomeOf(d.status);
  if (outcome && !row.outcome) {
    if (outcome === "won") {
      entry("dispute_won", "Dispute won: held amount released", [
        { account: held, amount: A },
        { account: collected, amount: -A },
      ]);
    } else {
      if (!row.fundsWithdrawnAt && !set.fundsWithdrawnAt) withdraw();
      entry("dispute_lost", "Dispute lost: held amount gone", [
        { account: held, amount: A },
        { account: reserve, amount: -A },
      ]);
    }
    set.outcome = outcome;
    set.closedAt = new Date();
    await appendEvent(tx, {
      type: "dispute.closed",
      partitionKey: c.campaignId,
      payload: { disputeId: row.id, contributionId: c.id, campaignId: c.campaignId, amount: A, currency: c.currency, outcome },
    });
  }
  for (const e of entries) if (await postEntry(tx, e)) changed = true;
  if (set.outcome || set.fundsWithdrawnAt || set.fundsReinstatedAt) changed = true;
  await tx.update(disputes).set(set).where(eq(disputes.id, row.id));
  return { result: changed ? "applied" : "unchanged", campaignId: c.campaignId };
}

function toDisputeDto(r: DisputeRow): DisputeDto {
  return {
    id: r.id,
    contributionId: r.contributionId,
    campaignId: r.campaignId,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    fee: r.fee,
    outcome: r.outcome === "won" || r.outcome === "lost" ? r.outcome : null,
    createdAt: r.createdAt.toISOString(),
    closedAt: r.closedAt?.toISOString() ?? null,
  };
}

/** Only admins see disputes: FORBIDDEN for anyone else. */
function requireAdmin(viewer: PublicUser): void {
  if (viewer.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can see disputes");
}

/**
 * For admins (FORBIDDEN for anyone else): disputes, newest first, the open ones only (`open: true`, what
 * admins act on) or all, at most `limit`.
 */
export async function listDisputes(
  db: Db,
  viewer: PublicUser,
  p: { open?: boolean; limit?: number } = {},
): Promise<DisputeDto[]> {
  requireAdmin(viewer);
  const rows = await db
    .select()
    .from(disputes)
    .where(p.open ? isNull(disputes.outcome) : undefined)
    .orderBy(desc(disputes.createdAt))
    .limit(p.limit ?? 100);
  return rows.map(toDisputeDto);
}

/** A dispute as the admins' review page lists it: with its campaign's title. */
export interface AdminDispute extends DisputeDto {
  campaignTitle: string;
}

/**
 * For admins (FORBIDDEN for anyone else): the open disputes, oldest first (the longest waiting on top),
 * and the `closedLimit` most recently closed ones with their outcome, each with its campaign's title.
 */
export async function listDisputesForAdmin(
  db: Db,
  viewer: PublicUser,
  p: { limit?: number; closedLimit?: number } = {},
): Promise<{ open: AdminDispute[]; closed: AdminDispute[] }> {
  requireAdmin(viewer);
  const read = (open: boolean, limit: number) =>
    db
      .select({ d: disputes, title: campaigns.title })
      .from(disputes)
      .innerJoin(campaigns, eq(campaigns.id, disputes.campaignId))
      .where(open ? isNull(disputes.outcome) : isNotNull(disputes.outcome))
      .orderBy(open ? disputes.createdAt : desc(disputes.closedAt))
      .limit(limit);
  const [open, closed] = await Promise.all([read(true, p.limit ?? 100), read(false, p.closedLimit ?? 20)]);
  const dto = (r: { d: DisputeRow; title: string }): AdminDispute => ({ ...toDisputeDto(r.d), campaignTitle: r.title });
  return { open: open.map(dto), closed: closed.map(dto) };
}
