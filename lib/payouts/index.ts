import { and, desc, eq, getTableColumns, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import { campaigns, payoutAccounts, payouts } from "@/db/schema";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/log";
import type { PublicUser } from "@/lib/users";
import type { AccountState, PayoutProvider } from "./provider";
import type { PayoutSettings } from "./run";
import { sandboxPayoutProvider } from "./sandbox";
import { stripePayoutProvider } from "./stripe";

export { type AccountHold, accountHold, type PayoutHold, payoutHold } from "./hold";

/** The configured payout provider: Stripe Connect when STRIPE_SECRET_KEY is set, else the sandbox. */
function payoutProvider(db: Db, c: Config): PayoutProvider {
  if (c.STRIPE_SECRET_KEY) return stripePayoutProvider({ secretKey: c.STRIPE_SECRET_KEY, apiBase: c.STRIPE_API_BASE });
  return sandboxPayoutProvider(db, { delayMs: c.SANDBOX_TRANSFER_DELAY_MS, pendingMs: c.SANDBOX_PENDING_MS });
}

/**
 * The payout run's settings from the configuration: provider, minimum (minor units), time zone, batch
 * size, concurrency. The composition root builds the process's once (`services().payouts`); the CLI, the
 * benches and the scheduler's own pool build theirs.
 */
export function createPayoutSettings(db: Db, c: Config): PayoutSettings {
  return {
    provider: payoutProvider(db, c),
    minimum: c.PAYOUT_MINIMUM_MINOR,
    holdHours: c.PAYOUT_HOLD_HOURS,
    timeZone: c.PAYOUT_TIMEZONE,
    batchSize: c.PAYOUT_BATCH_SIZE,
    concurrency: c.PAYOUT_CONCURRENCY,
  };
}

export interface PayoutAccountDto {
  provider: string;
  accountId: string;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  disabledReason: string | null;
  updatedAt: string;
}

type AccountRow = typeof payoutAccounts.$inferSelect;

const accountDto = (r: AccountRow): PayoutAccountDto => ({
  provider: r.provider,
  accountId: r.accountId,
  payoutsEnabled: r.payoutsEnabled,
  detailsSubmitted: r.detailsSubmitted,
  disabledReason: r.disabledReason,
  updatedAt: r.updatedAt.toISOString(),
});

async function saveAccount(db: Db, userId: string, provider: string, a: AccountState): Promise<AccountRow> {
  const values = {
    payoutsEnabled: a.payoutsEnabled,
    detailsSubmitted: a.detailsSubmitted,
    disabledReason: a.disabledReason,
    updatedAt: new Date(),
  };
  const [row] = await db
    .insert(payoutAccounts)
    .values({ userId, provider, accountId: a.accountId, ...values })
    .onConflictDoUpdate({ target: [payoutAccounts.userId, payoutAccounts.provider], set: values })
    .returning();
  if (!row) throw new Error("payout account vanished");
  return row;
}

async function findAccount(db: Db, userId: string, provider: string): Promise<AccountRow | undefined> {
  const [row] = await db
    .select()
    .from(payoutAccounts)
    .where(and(eq(payoutAccounts.userId, userId), eq(payoutAccounts.provider, provider)));
  return row;
}

/**
 * The creator's payout account with the provider in use, its state refreshed
 * from the provider (Stripe: after onboarding, payouts_enabled turns true) unless
 * `refresh` is false (the dashboard reads what is stored: no provider call per view).
 * A provider that cannot be reached leaves the stored state as it was.
 */
export async function getPayoutAccount(
  db: Db,
  s: PayoutSettings,
  userId: string,
  { refresh = true }: { refresh?: boolean } = {},
): Promise<PayoutAccountDto | null> {
  const row = await findAccount(db, userId, s.provider.name);
  if (!row) return null;
  if (!refresh) return accountDto(row);
  let fresh: Awaited<ReturnType<typeof s.provider.retrieveAccount>>;
  try {
    fresh = await s.provider.retrieveAccount(row.accountId);
  } catch (err) {
    // Shown as last stored; said in the log, never silently. Database errors are not caught here.
    logger().warn({ err: String(err), provider: s.provider.name }, "payout account refresh failed; showing the stored state");
    return accountDto(row);
  }
  return accountDto(await saveAccount(db, userId, s.provider.name, fresh));
}

/**
 * Call the payout provider: any failure of the call itself becomes PAYOUT_PROVIDER_UNAVAILABLE (503,
 * retry later) and is logged with its cause; an AppError passes through. Only provider calls are
 * wrapped: a database error stays what it is (a logged 500), not a provider outage.
 */
async function providerCall<T>(s: PayoutSettings, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AppError) throw err;
    logger().warn({ err: String(err), provider: s.provider.name }, `payout provider: ${what} failed`);
    throw new AppError("PAYOUT_PROVIDER_UNAVAILABLE", "The payout provider could not be reached; try again in a moment");
  }
}

/** Create the creator's account if there is none, and give the URL where they finish onboarding. */
export async function connectPayoutAccount(
  db: Db,
  s: PayoutSettings,
  user: PublicUser,
  urls: { returnUrl: string; refreshUrl: string },
): Promise<{ account: PayoutAccountDto; onboardingUrl: string }> {
  const existing = await findAccount(db, user.id, s.provider.name);
  // A new account's state is the provider's answer to its creation; an existing one's is refreshed.
  const row =
    existing ??
    (await saveAccount(
      db,
      user.id,
      s.provider.name,
      await providerCall(s, "create account", () => s.provider.createAccount({ userId: user.id, email: user.email })),
    ));
  const onboardingUrl = await providerCall(s, "onboarding link", () => s.provider.onboardingUrl(row.accountId, urls));
  const account = existing ? ((await getPayoutAccount(db, s, user.id)) ?? accountDto(row)) : accountDto(row);
  return { account, onboardingUrl };
}

/** Give the demo users a connected simulated account (the sandbox only; once). */
export async function seedSandboxPayoutAccounts(db: Db, s: PayoutSettings, userIds: string[]): Promise<number> {
  if (s.provider.name !== "sandbox") return 0;
  let added = 0;
  for (const userId of userIds) {
    if (await findAccount(db, userId, "sandbox")) continue;
    await saveAccount(db, userId, "sandbox", await s.provider.createAccount({ userId, email: "" }));
    added++;
  }
  return added;
}

export interface PayoutDto {
  id: string;
  campaignId: string;
  payoutDate: string;
  amount: number;
  currency: string;
  status: "pending" | "submitted" | "paid" | "failed";
  campaignTitle: string;
  failureCode: string | null;
  createdAt: string;
  paidAt: string | null;
}

const payoutDto = (p: typeof payouts.$inferSelect & { campaignTitle: string }): PayoutDto => ({
  id: p.id,
  campaignTitle: p.campaignTitle,
  campaignId: p.campaignId,
  payoutDate: p.payoutDate,
  amount: p.amount,
  currency: p.currency,
  status: p.status,
  failureCode: p.failureCode,
  createdAt: p.createdAt.toISOString(),
  paidAt: p.paidAt?.toISOString() ?? null,
});

/** A creator's own payouts, newest first, keyset-paginated on the time-ordered ID; optionally one campaign's. */
export async function listCreatorPayouts(
  db: Db,
  p: { creatorId: string; limit: number; cursor?: string; campaignId?: string },
): Promise<{ items: PayoutDto[]; nextCursor: string | null }> {
  const rows = await db
    .select({ ...getTableColumns(payouts), campaignTitle: campaigns.title })
    .from(payouts)
    .innerJoin(campaigns, eq(campaigns.id, payouts.campaignId))
    .where(
      and(
        eq(payouts.creatorId, p.creatorId),
        p.campaignId ? eq(payouts.campaignId, p.campaignId) : undefined,
        p.cursor ? lt(payouts.id, p.cursor) : undefined,
      ),
    )
    .orderBy(desc(payouts.id))
    .limit(p.limit + 1);
  const { page, nextCursor } = keysetPage(rows, p.limit, (r) => r.id);
  return { items: page.map(payoutDto), nextCursor };
}

export interface CampaignPayoutSummary {
  campaignId: string;
  currency: string;
  /**
   * Settled through the payout provider in use and not yet in a payout (net of fees, refunds and disputed
   * amounts), minor units. Negative when money came back after it was paid out: later payouts are reduced
   * until it is recovered.
   */
  unpaid: number;
  /**
   * What the campaign holds of money another payment provider collected (e.g. sandbox test money on a site
   * now paying through Stripe), minor units: never paid out by this provider (docs/payouts.md, "Provider
   * separation").
   */
  otherProvider: number;
  /** What open disputes hold (minor units): paid out only if they are won. */
  held: number;
  /** Payouts frozen by a suspension (kept when the campaign is then ended). */
  frozen: boolean;
  inTransit: number;
  paidOut: number;
  lastFailure: string | null;
}

/**
 * Per campaign of the creator: what waits for `provider` (the payout provider in use: its own money only),
 * what another provider's money is left, what is on its way, what was paid out. Amounts in minor units.
 */
export async function campaignPayoutSummaries(
  db: Db,
  campaignIds: string[],
  provider: string,
): Promise<Map<string, CampaignPayoutSummary>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await db.execute<{
    id: string;
    currency: string;
    unpaid: string;
    other_provider: string;
    held: string;
    frozen: boolean;
    in_transit: string;
    paid_out: string;
    last_failure: string | null;
  }>(sql`
    select c.id, c.currency,
      coalesce((select -sum(l.amount) from ledger_accounts a join ledger_lines l on l.account_id = a.id
                join ledger_entries e on e.id = l.entry_id
                where a.kind = 'campaign_collected' and a.owner = c.id::text and e.provider = ${provider}), 0) as unpaid,
      coalesce((select -sum(l.amount) from ledger_accounts a join ledger_lines l on l.account_id = a.id
                join ledger_entries e on e.id = l.entry_id
                where a.kind = 'campaign_collected' and a.owner = c.id::text and e.provider <> ${provider}), 0) as other_provider,
      coalesce((select -sum(l.amount) from ledger_accounts a join ledger_lines l on l.account_id = a.id
                where a.kind = 'campaign_held' and a.owner = c.id::text), 0) as held,
      c.payouts_frozen_at is not null as frozen,
      coalesce((select sum(amount) from payouts p where p.campaign_id = c.id and p.status in ('pending', 'submitted')), 0) as in_transit,
      coalesce((select sum(amount) from payouts p where p.campaign_id = c.id and p.status = 'paid'), 0) as paid_out,
      (select p.failure_code from payouts p where p.campaign_id = c.id order by p.id desc limit 1) as last_failure
    from campaigns c
    where c.id in (${sql.join(
      campaignIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`);
  return new Map(
    rows.map((r) => [
      r.id,
      {
        campaignId: r.id,
        currency: r.currency,
        unpaid: Number(r.unpaid),
        otherProvider: Number(r.other_provider),
        held: Number(r.held),
        frozen: r.frozen,
        inTransit: Number(r.in_transit),
        paidOut: Number(r.paid_out),
        lastFailure: r.last_failure,
      },
    ]),
  );
}
