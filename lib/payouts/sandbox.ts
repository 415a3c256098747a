import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
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

function fromRow(r: TransferRow): ProviderTransfer {
  if (r.status === "failed")
    return { status: "failed", failureCode: r.failureCode ?? "transfer_failed", failureMessage: "The transfer was refused" };
  if (r.status === "pending" && r.availableAt && r.availableAt.getTime() <= Date.now()) return { id: r.id, status: "paid" };
  return { id: r.id, status: r.status === "pending" ? "pending" : "paid" };
}

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

  async function record(
    input: { payoutId: string; destination: string; amount: number; currency: string },
    status: string,
    failureCode?: string,
  ): Promise<TransferRow> {
    const [made] = await db
      .insert(sandboxTransfers)
      .values({
        id: newId("tr"),
        idempotencyKey: input.payoutId,
        transferGroup: input.payoutId,
        destination: input.destination,
        amount: toProviderAmount(input.amount, input.currency), // Stripe's units, as Stripe keeps a transfer
        currency: input.currency,
        status,
        failureCode,
        availableAt: status === "pending" ? new Date(Date.now() + o.pendingMs) : null,
      })
      .onConflictDoNothing()
      .returning();
    if (made) return made;
    // Like Stripe's idempotency: the first answer for a key is the answer.
    const [row] = await db.select().from(sandboxTransfers).where(eq(sandboxTransfers.idempotencyKey, input.payoutId));
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
      // The destination and an earlier answer for this key, in one round trip.
      const [hit] = await db
        .select({ account: sandboxAccounts, existing: sandboxTransfers })
        .from(sql`(select 1) as one`)
        .leftJoin(sandboxAccounts, eq(sandboxAccounts.id, input.destination))
        .leftJoin(sandboxTransfers, eq(sandboxTransfers.idempotencyKey, input.payoutId));
      if (hit?.existing) return fromRow(hit.existing);
      const a = hit?.account;
      if (!a) return fromRow(await record(input, "failed", "no_such_destination"));
      if (!a.payoutsEnabled) return fromRow(await record(input, "failed", "payouts_not_allowed"));
      let behavior = a.behavior as SandboxBehavior;
      if (behavior === "flaky")
        behavior = (["succeed", "timeout", "lose_answer"] as const)[Math.floor(Math.random() * 3)] ?? "succeed";
      switch (behavior) {
        case "timeout":
          throw new TransferOutcomeUnknownError("sandbox transfer: timed out (simulated), nothing was made");
        case "lose_answer":
          await record(input, "paid");
          throw new TransferOutcomeUnknownError("sandbox transfer: made, but the answer was lost (simulated)");
        case "fail":
          return fromRow(await record(input, "failed", "account_closed"));
        case "pending":
          return fromRow(await record(input, "pending"));
        default:
          return fromRow(await record(input, "paid"));
      }
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
