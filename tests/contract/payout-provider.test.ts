/**
 * The payout provider contract (lib/payouts/provider.ts), run against both
 * adapters: the sandbox on a fresh migrated PostgreSQL database, and Stripe
 * Connect through the REAL `stripe` SDK against tests/support/fake-stripe.ts.
 * The test bodies are shared; what differs per adapter (how onboarding is
 * completed, how to make a transfer be refused, lose its answer or find the
 * provider unreachable, and how to count the transfers the provider really
 * made) lives in one small fixture per adapter.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { anyFreePort } from "@/lib/net/ports";
import { type PayoutProvider, type TransferInput, TransferOutcomeUnknownError } from "@/lib/payouts/provider";
import { type SandboxBehavior, sandboxPayoutProvider } from "@/lib/payouts/sandbox";
import { stripePayoutProvider } from "@/lib/payouts/stripe";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe";

interface Refusal {
  /** How the provider is made to refuse, for the test name. */
  how: string;
  /** The failureCode the adapter reports for it. */
  failureCode: string;
  arrange(accountId: string, amount: number): Promise<void>;
}

interface AdapterFixture {
  name: "sandbox" | "stripe";
  setUp(): Promise<void>;
  /** Before each test: a clean provider state where the adapter needs one. */
  reset(): Promise<void>;
  tearDown(): Promise<void>;
  provider(): PayoutProvider;
  /** Whether a new account has to go through onboarding before it can be paid. */
  onboardingRequired: boolean;
  /** The user finishes the provider's onboarding (the sandbox's needs nothing). */
  completeOnboarding(accountId: string): Promise<void>;
  /** The host the onboarding URL leads to. */
  onboardingHost(urls: { returnUrl: string; refreshUrl: string }): string;
  /** Ways the provider refuses a transfer (an answer: nothing is made). */
  refusals: Refusal[];
  /** The next transfer to this account is made, but its answer (and any retry's) is lost. */
  loseNextAnswer(accountId: string): Promise<void>;
  /** A provider through which the transfer gets no answer and is not made. */
  unreachable(accountId: string): Promise<PayoutProvider>;
  /** Transfers the provider really made for this payout (its own records, not the adapter's word). */
  transfersMade(payoutId: string): Promise<number>;
}

function sandboxFixture(): AdapterFixture {
  let database: TestDatabase;
  let handle: ReturnType<typeof openDb>;
  let provider: PayoutProvider;

  async function setBehavior(accountId: string, behavior: SandboxBehavior) {
    const rows = await handle.sql`update sandbox_accounts set behavior = ${behavior} where id = ${accountId} returning id`;
    expect(rows).toHaveLength(1);
  }

  return {
    name: "sandbox",
    async setUp() {
      database = await provisionDatabase("payout_contract");
      handle = openDb(database.url, 2);
      provider = sandboxPayoutProvider(handle.db, { delayMs: 0, pendingMs: 60_000 });
    },
    async reset() {},
    async tearDown() {
      await handle?.sql.end();
      await database?.drop();
    },
    provider: () => provider,
    onboardingRequired: false,
    async completeOnboarding() {},
    onboardingHost: (urls) => new URL(urls.returnUrl).host,
    refusals: [
      {
        how: "the account's behaviour is 'fail'",
        failureCode: "account_closed",
        arrange: (accountId) => setBehavior(accountId, "fail"),
      },
    ],
    loseNextAnswer: (accountId) => setBehavior(accountId, "lose_answer"),
    async unreachable(accountId) {
      await setBehavior(accountId, "timeout");
      return provider;
    },
    async transfersMade(payoutId) {
      const [row] = await handle.sql`
        select count(*)::int as n from sandbox_transfers where transfer_group = ${payoutId} and status <> 'failed'`;
      return row!.n as number;
    },
  };
}

function stripeFixture(): AdapterFixture {
  let fake: FakeStripe | undefined;
  let provider: PayoutProvider;
  const live = () => {
    if (!fake) throw new Error("fake Stripe not started");
    return fake;
  };

  return {
    name: "stripe",
    async setUp() {},
    async reset() {
      await fake?.close();
      fake = await startFakeStripe();
      provider = stripePayoutProvider({ secretKey: "sk_test_contract", apiBase: fake.url });
    },
    async tearDown() {
      await fake?.close();
    },
    provider: () => provider,
    onboardingRequired: true,
    async completeOnboarding(accountId) {
      live().completeOnboarding(accountId);
    },
    onboardingHost: () => "connect.stripe.com",
    refusals: [
      {
        how: "the platform's available balance is short of the amount",
        failureCode: "balance_insufficient",
        arrange: async (_accountId, amount) => live().setAvailableBalance("usd", amount - 1),
      },
      {
        how: "Stripe disabled the destination account",
        failureCode: "insufficient_capabilities_for_transfer",
        arrange: async (accountId) => live().disableAccount(accountId, "rejected.fraud"),
      },
    ],
    async loseNextAnswer() {
      // The first attempt and the SDK's two retries (maxNetworkRetries: 2) all lose their answers.
      live().loseNextAnswers(3);
    },
    async unreachable() {
      return stripePayoutProvider({ secretKey: "sk_test_contract", apiBase: `http://127.0.0.1:${await anyFreePort()}` });
    },
    async transfersMade(payoutId) {
      return [...live().transfers.values()].filter((t) => t.transfer_group === payoutId).length;
    },
  };
}

describe.each([sandboxFixture(), stripeFixture()])("payout provider contract: $name", (fx) => {
  const p = () => fx.provider();

  beforeAll(() => fx.setUp(), 120_000);
  afterAll(() => fx.tearDown());
  beforeEach(() => fx.reset());

  /** A connected account that can be paid now. */
  async function payableAccount(): Promise<string> {
    const a = await p().createAccount({ userId: randomUUID(), email: "creator@example.com" });
    await fx.completeOnboarding(a.accountId);
    expect((await p().retrieveAccount(a.accountId)).payoutsEnabled).toBe(true);
    return a.accountId;
  }

  function transfer(destination: string, over: Partial<TransferInput> = {}): TransferInput {
    return { payoutId: randomUUID(), campaignId: randomUUID(), destination, amount: 2500, currency: "USD", ...over };
  }

  it("creates a connected account, which can receive payouts once onboarding is complete", async () => {
    const created = await p().createAccount({ userId: randomUUID(), email: "maker@example.com" });
    expect(created.accountId).toMatch(/^acct_/);

    const before = await p().retrieveAccount(created.accountId);
    expect(before.accountId).toBe(created.accountId);
    expect(before.payoutsEnabled).toBe(!fx.onboardingRequired);
    expect(before.detailsSubmitted).toBe(!fx.onboardingRequired);
    if (fx.onboardingRequired) expect(before.disabledReason).toEqual(expect.any(String));

    await fx.completeOnboarding(created.accountId);
    expect(await p().retrieveAccount(created.accountId)).toEqual({
      accountId: created.accountId,
      payoutsEnabled: true,
      detailsSubmitted: true,
      disabledReason: null,
    });
  });

  it("gives an onboarding URL for the account", async () => {
    const { accountId } = await p().createAccount({ userId: randomUUID(), email: "maker@example.com" });
    const urls = {
      returnUrl: "https://crowdfund.example/payouts/return",
      refreshUrl: "https://crowdfund.example/payouts/refresh",
    };
    const url = new URL(await p().onboardingUrl(accountId, urls));
    expect(url.protocol).toBe("https:");
    expect(url.host).toBe(fx.onboardingHost(urls));
  });

  it("pays a transfer to an enabled account", async () => {
    const input = transfer(await payableAccount());
    const result = await p().createTransfer(input);
    expect(result.status).toBe("paid");
    expect(result.id).toMatch(/^tr_/);
    expect(result.failureCode).toBeUndefined();
    expect(await fx.transfersMade(input.payoutId)).toBe(1);
  });

  it("makes one transfer for a payout however often it is asked, answering with the same transfer", async () => {
    const input = transfer(await payableAccount());
    const first = await p().createTransfer(input);
    const second = await p().createTransfer(input);
    expect(first.status).toBe("paid");
    expect(second).toEqual(first);
    expect(await fx.transfersMade(input.payoutId)).toBe(1);
  });

  it("finds the transfer made for a payout, and none for a payout never paid", async () => {
    const account = await payableAccount();
    const a = transfer(account);
    const b = transfer(account, { amount: 700 });
    const paidA = await p().createTransfer(a);
    const paidB = await p().createTransfer(b);
    expect(paidA.id).not.toBe(paidB.id);

    expect(await p().findTransfer(a.payoutId)).toEqual({ id: paidA.id, status: "paid" });
    expect(await p().findTransfer(b.payoutId)).toEqual({ id: paidB.id, status: "paid" });
    expect(await p().findTransfer(randomUUID())).toBeUndefined();
  });

  it("retrieves a transfer by its ID", async () => {
    const paid = await p().createTransfer(transfer(await payableAccount()));
    expect(await p().retrieveTransfer(paid.id!)).toEqual({ id: paid.id, status: "paid" });
  });

  it.each(fx.refusals)("answers a refused transfer ($how) as failed, with nothing made", async (refusal) => {
    const account = await payableAccount();
    const input = transfer(account);
    await refusal.arrange(account, input.amount);

    const result = await p().createTransfer(input);
    expect(result.status).toBe("failed");
    expect(result.id).toBeUndefined();
    expect(result.failureCode).toBe(refusal.failureCode);
    expect(result.failureMessage).toEqual(expect.any(String));

    expect(await p().findTransfer(input.payoutId)).toBeUndefined();
    expect(await fx.transfersMade(input.payoutId)).toBe(0);
  });

  it("when the answer is lost, throws TransferOutcomeUnknownError; the transfer made is found, and not made again", async () => {
    const account = await payableAccount();
    const input = transfer(account);
    await fx.loseNextAnswer(account);

    await expect(p().createTransfer(input)).rejects.toBeInstanceOf(TransferOutcomeUnknownError);

    const found = await p().findTransfer(input.payoutId);
    expect(found).toEqual({ id: expect.stringMatching(/^tr_/), status: "paid" });
    expect(await fx.transfersMade(input.payoutId)).toBe(1);

    const again = await p().createTransfer(input);
    expect(again).toEqual({ id: found!.id, status: "paid" });
    expect(await fx.transfersMade(input.payoutId)).toBe(1);
  });

  it("when the provider cannot be reached, throws TransferOutcomeUnknownError and makes nothing", async () => {
    const account = await payableAccount();
    const input = transfer(account);
    const offline = await fx.unreachable(account);

    await expect(offline.createTransfer(input)).rejects.toBeInstanceOf(TransferOutcomeUnknownError);

    expect(await p().findTransfer(input.payoutId)).toBeUndefined();
    expect(await fx.transfersMade(input.payoutId)).toBe(0);
  });
});
