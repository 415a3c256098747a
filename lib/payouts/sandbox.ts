import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import { type Db, poolOf } from "@/db/client";
import { sandboxAccounts, sandboxTransfers } from "@/db/schema";
import { toProviderAmount } from "@/lib/money/currency";
import { newId } from "@/lib/payments/sandbox";
import { type AccountState, type PayoutProvider, type ProviderTransfer, TransferOutcomeUnknownError } from "./provider";

/**
 * Simulated Connect accounts and transfers, with Stripe's semantics: a transfer
 * is made once per idempotency key (a retry returns the first answer) and can be
 * found by its transfer group. Each simulated account carries a test behaviour:
 * what its transfers do. Tests set it (sandbox_accounts.behavior); new accounts succeed.
 */
export const SANDBOX_BEHAVIORS = ["succeed", "fail", "timeout", "lose_answer", "pending", "flaky"] as const;
export type SandboxBehavior = (typeof SANDBOX_BEHAVIORS)[number];

type TransferRow = typeof sandboxTransfers.$inferSelect;

function fromRow(r: Pick<TransferRow, "id" | "status" | "failureCode" | "availableAt">): ProviderTransfer {
  if (r.status === "failed")
    return { status: "failed", failureCode: r.failureCode ?? "transfer_failed", failureMessage: "The transfer was refused" };
  if (r.status === "pending" && r.availableAt && r.availableAt.getTime() <= Date.now()) return { id: r.id, status: "paid" };
  return { id: r.id, status: r.status === "pending" ? "pending" : "paid" };
}

/** A sandbox_transfers row as `to_jsonb` gives it (column names, timestamps as ISO strings). */
interface TransferJson {
  id: string;
  status: string;
  failure_code: string | null;
  available_at: string | null;
}

const fromJson = (j: TransferJson): ProviderTransfer =>
  fromRow({
    id: j.id,
    status: j.status,
    failureCode: j.failure_code,
    availableAt: j.available_at ? new Date(j.available_at) : null,
  });

export interface SandboxPayoutOptions {
  /** Simulated latency of every transfer call (lets a crash test kill a run mid-batch). */
  delayMs: number;
  /** How long a `pending` account's transfers stay pending. */
  pendingMs: number;
}

export function sandboxPayoutProvider(db: Db, o: SandboxPayoutOptions): PayoutProvider {
  async function account(id: string): Promise<AccountState> {
    const [a] = await db.select().from(sandboxAccounts).where(eq(sandboxAccounts.id, id));
    if (!a) return { accountId: id, payoutsEnabled: false, detailsSubmitted: false, disabledReason: "account_not_found" };
    return {
      accountId: a.id,
      payoutsEnabled: a.payoutsEnabled,
      detailsSubmitted: true,
      disabledReason: a.payoutsEnabled ? null : "rejected.other",
    };
  }

  async function byKey(payoutId: string): Promise<TransferRow> {
    const [row] = await db.select().from(sandboxTransfers).where(eq(sandboxTransfers.idempotencyKey, payoutId));
    if (!row) throw new Error("sandbox transfer vanished");
    return row;
  }

  return {
    name: "sandbox",
    async createAccount() {
      const id = newId("acct");
      await db.insert(sandboxAccounts).values({ id });
      return account(id);
    },
    // The simulated onboarding has nothing to fill in: the account is ready, so go straight back.
    async onboardingUrl(_accountId, urls) {
      return urls.returnUrl;
    },
    retrieveAccount: account,
    async createTransfer(input) {
      if (o.delayMs > 0) await sleep(o.delayMs);
      // A flaky account's pick is made here, so that the statement below stays one round trip.
      const flaky = (["succeed", "timeout", "lose_answer"] as const)[Math.floor(Math.random() * 3)] ?? "succeed";
      // One statement, as Stripe answers one call: the earlier answer for this key if there is one, else the
      // destination's behaviour decides what is recorded (nothing for a timeout). The payout run sends a
      // million of these on a big day, so a second round trip per transfer is what the flush would wait on.
      // It goes through the driver's tagged template, which prepares it once per connection: unprepared (as
      // drizzle's `execute` sends it), planning it cost more than running it (pg_stat_statements during
      // bench:payouts: 11 s of planning against 7 s of execution for 120,000 transfers).
      const client = poolOf(db, "the sandbox provider");
      const availableAt = new Date(Date.now() + o.pendingMs).toISOString();
      const [hit] = await client<{ behavior: string; prior: TransferJson | null; made: TransferJson | null }[]>`
        with a as (select payouts_enabled, behavior from sandbox_accounts where id = ${input.destination}),
        prior as (select * from sandbox_transfers where idempotency_key = ${input.payoutId}),
        d as (
          select case
            when not exists (select 1 from a) then 'no_such_destination'
            when not (select payouts_enabled from a) then 'payouts_not_allowed'
            when (select behavior from a) = 'flaky' then ${flaky}::text
            else (select behavior from a) end as behavior),
        made as (
          insert into sandbox_transfers
            (id, idempotency_key, transfer_group, destination, amount, currency, status, failure_code, available_at)
          select ${newId("tr")}, ${input.payoutId}, ${input.payoutId}, ${input.destination},
                 ${toProviderAmount(input.amount, input.currency)}::bigint, ${input.currency},
                 case when d.behavior in ('no_such_destination', 'payouts_not_allowed', 'fail') then 'failed'
                      when d.behavior = 'pending' then 'pending' else 'paid' end,
                 case d.behavior when 'fail' then 'account_closed'
                      when 'no_such_destination' then 'no_such_destination'
                      when 'payouts_not_allowed' then 'payouts_not_allowed' end,
                 case when d.behavior = 'pending' then ${availableAt}::timestamptz end
          from d where not exists (select 1 from prior) and d.behavior <> 'timeout'
          on conflict do nothing
          returning *)
        select (select behavior from d) as behavior,
               (select to_jsonb(p) from prior p) as prior,
               (select to_jsonb(m) from made m) as made`;
      if (!hit) throw new Error("sandbox transfer: no answer");
      if (hit.prior) return fromJson(hit.prior); // Like Stripe's idempotency: the first answer for a key is the answer.
      if (hit.behavior === "timeout")
        throw new TransferOutcomeUnknownError("sandbox transfer: timed out (simulated), nothing was made");
      // Made by a concurrent call with the same key after this statement's snapshot: that one's answer.
      const row = hit.made ? fromJson(hit.made) : fromRow(await byKey(input.payoutId));
      if (hit.behavior === "lose_answer")
        throw new TransferOutcomeUnknownError("sandbox transfer: made, but the answer was lost (simulated)");
      return row;
    },
    async findTransfer(payoutId) {
      const [row] = await db.select().from(sandboxTransfers).where(eq(sandboxTransfers.transferGroup, payoutId)).limit(1);
      return row && row.status !== "failed" ? fromRow(row) : undefined;
    },
    async retrieveTransfer(id) {
      const [row] = await db
        .update(sandboxTransfers)
        .set({
          status: sql`case when ${sandboxTransfers.status} = 'pending' and ${sandboxTransfers.availableAt} <= now() then 'paid' else ${sandboxTransfers.status} end`,
        })
        .where(eq(sandboxTransfers.id, id))
        .returning();
      if (!row) throw new TransferOutcomeUnknownError(`sandbox transfer ${id} not found`);
      return fromRow(row);
    },
  };
}
