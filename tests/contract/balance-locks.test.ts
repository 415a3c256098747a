/**
 * Who waits on a campaign's balance lock (lib/ledger `lockCampaignBalances`), on a fresh migrated PostgreSQL database:
 * an entry that takes money out of a campaign (a refund) waits while a payout run holds the campaign's lock; a
 * contribution never does, also when a platform fee is taken from it (its fee line debits the campaign, but the
 * entry as a whole credits it). Each post runs with a short `lock_timeout`, so waiting shows as PostgreSQL's lock
 * timeout error rather than as a slow test.
 */
import { sql as dsql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "@/db/client";
import { accounts, type EntryInput, lockCampaignBalances, postEntry } from "@/lib/ledger";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { contributionEntry } from "../support/ledger";
import { deferred } from "../support/wait";

const RUN = Date.now().toString(36);

describe("campaign balance locks", () => {
  let tdb: TestDatabase;
  let handle: ReturnType<typeof openDb>;
  let db: Db;

  beforeAll(async () => {
    tdb = await provisionDatabase("balance_locks");
    handle = openDb(tdb.url, 4);
    db = handle.db;
  });

  afterAll(async () => {
    await handle?.sql.end();
    await tdb?.drop();
  });

  /** A payout run's hold on `campaign`'s balance: taken when `locked` resolves, kept until `release()`. */
  function payoutRunHolding(campaign: string) {
    const released = deferred();
    const locked = deferred();
    const done = db.transaction(async (tx) => {
      await lockCampaignBalances(tx as unknown as Db, [campaign]);
      locked.resolve();
      await released.promise;
    });
    return { locked: locked.promise, release: released.resolve, done };
  }

  /** Post `entry` in a transaction of its own that gives up on any lock after 500 ms. */
  const post = (entry: EntryInput) =>
    db.transaction(async (tx) => {
      await tx.execute(dsql`set local lock_timeout = '500ms'`);
      return postEntry(tx as unknown as Db, entry);
    });

  /** A refund as lib/payments/refunds.ts posts it: `amount` back to the donor, `feeBack` of the fee back to the campaign. */
  const refundEntry = (reference: string, campaign: string, amount: number, feeBack = 0): EntryInput => ({
    kind: "refund",
    reference,
    description: "test refund",
    provider: "sandbox",
    currency: "USD",
    lines: [
      { account: accounts.providerClearing("sandbox"), amount: -amount },
      { account: accounts.campaignCollected(campaign), amount },
      ...(feeBack > 0
        ? [
            { account: accounts.campaignCollected(campaign), amount: -feeBack },
            { account: accounts.platformFees(), amount: feeBack },
          ]
        : []),
    ],
  });

  it("makes a refund of the campaign wait while a payout run holds its balance", async () => {
    const campaign = `${RUN}-refunded`;
    expect(await post(contributionEntry(`${RUN}-gift-1`, campaign, 5000))).toBe(true);
    const run = payoutRunHolding(campaign);
    await run.locked;
    try {
      await expect(post(refundEntry(`${RUN}-refund-1`, campaign, 1000))).rejects.toMatchObject({ cause: { code: "55P03" } });
      // Also one that gives the campaign its share of the fee back: it still takes money out of the campaign in sum.
      await expect(post(refundEntry(`${RUN}-refund-2`, campaign, 1000, 25))).rejects.toMatchObject({ cause: { code: "55P03" } });
    } finally {
      run.release();
      await run.done;
    }
    // Once the run has committed, the refund posts.
    expect(await post(refundEntry(`${RUN}-refund-1`, campaign, 1000))).toBe(true);
    expect(await post(refundEntry(`${RUN}-refund-2`, campaign, 1000, 25))).toBe(true);
  });

  it("lets contributions with and without a platform fee post while a payout run holds the campaign's balance", async () => {
    const campaign = `${RUN}-viral`;
    const run = payoutRunHolding(campaign);
    await run.locked;
    try {
      expect(await post(contributionEntry(`${RUN}-gift-2`, campaign, 5000))).toBe(true);
      expect(await post(contributionEntry(`${RUN}-gift-3`, campaign, 10_000, 250))).toBe(true);
    } finally {
      run.release();
      await run.done;
    }
  });
});
