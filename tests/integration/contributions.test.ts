import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "@/db/client";
import { settlePayment } from "@/lib/payments/settle";
import { runCli } from "../support/cli";
import { api, tokenFor, validCampaign } from "../support/http";
import { contribute, postWebhook, query, signedEvent, waitFor } from "../support/payments";

let alice: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([
    tokenFor("alice@example.com"),
    tokenFor("bob@example.com"),
    tokenFor("carol@example.com"),
  ]);
});

async function newCampaign(over: Record<string, unknown> = {}) {
  const r = await api("/api/campaigns", { token: alice, json: validCampaign(over) });
  expect(r.status).toBe(201);
  return r.body as { id: string; currency: string };
}

const campaignOf = async (id: string) => (await api(`/api/campaigns/${id}`, { token: alice })).body;
/** Totals are eventually consistent (event consumers): wait until they show `expected`. */
const totalsOf = (id: string, expected: { collectedAmount: number; contributionCount?: number }) =>
  waitFor(
    () => campaignOf(id),
    (c) =>
      c.collectedAmount === expected.collectedAmount &&
      (expected.contributionCount ?? c.contributionCount) === c.contributionCount,
  );
const countContributions = async (campaignId: string) =>
  Number((await query<{ n: string }>("select count(*) as n from contributions where campaign_id = $1", [campaignId]))[0]?.n);

describe("POST /api/campaigns/{id}/contributions with the sandbox", () => {
  it("succeeds with pm_card_visa, moves the total and shows in the public list", async () => {
    const c = await newCampaign();
    const r = await contribute(bob, c.id, {
      amount: 2500,
      currency: "USD",
      paymentMethod: "pm_card_visa",
      message: "Good luck!",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ campaignId: c.id, amount: 2500, currency: "USD", status: "succeeded", failure: null });
    expect(Object.keys(r.body).sort()).toEqual([
      "amount",
      "campaignId",
      "createdAt",
      "currency",
      "failure",
      "id",
      "refundedAmount",
      "status",
    ]);
    await contribute(carol, c.id, { amount: 1000, currency: "USD", anonymous: true });
    expect(await totalsOf(c.id, { collectedAmount: 3500 })).toMatchObject({ collectedAmount: 3500, contributionCount: 2 });
    const list = await api(`/api/campaigns/${c.id}/contributions`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { name: string; amount: number }) => [i.name, i.amount])).toEqual([
      ["Anonymous", 1000],
      ["Bob Example", 2500],
    ]);
    expect(list.body.items[1].message).toBe("Good luck!");
  });

  it("fails cleanly with declined cards and credits nothing", async () => {
    const c = await newCampaign();
    const declined = await contribute(bob, c.id, { amount: 5000, currency: "USD", paymentMethod: "pm_card_chargeDeclined" });
    expect(declined.status).toBe(201);
    expect(declined.body).toMatchObject({ status: "failed", failure: { code: "generic_decline" } });
    const poor = await contribute(bob, c.id, {
      amount: 5000,
      currency: "USD",
      paymentMethod: "pm_card_chargeDeclinedInsufficientFunds",
    });
    expect(poor.body).toMatchObject({ status: "failed", failure: { code: "insufficient_funds" } });
    const unknown = await contribute(bob, c.id, { amount: 5000, currency: "USD", paymentMethod: "pm_does_not_exist" });
    expect(unknown.body.status).toBe("failed");
    // the sandbox's payment_failed webhooks arrive and change nothing
    await new Promise((r) => setTimeout(r, 1000));
    expect(await campaignOf(c.id)).toMatchObject({ collectedAmount: 0, contributionCount: 0 });
    expect((await api(`/api/campaigns/${c.id}/contributions`)).body.items).toEqual([]);
  });

  it("keeps the delayed method pending until the sandbox's webhook settles it", async () => {
    const c = await newCampaign();
    const r = await contribute(bob, c.id, { amount: 700, currency: "USD", paymentMethod: "pm_card_processing" });
    expect(r.body.status).toBe("pending");
    expect((await campaignOf(c.id)).collectedAmount).toBe(0);
    const done = await waitFor(
      () => api(`/api/contributions/${r.body.id}`, { token: bob }),
      (x) => x.body.status !== "pending",
    );
    expect(done.body.status).toBe("succeeded");
    expect((await totalsOf(c.id, { collectedAmount: 700 })).collectedAmount).toBe(700);
    expect((await api(`/api/contributions/${r.body.id}`, { token: alice })).status).toBe(404); // someone else's
  });
});

describe("settling a payment", () => {
  it("commits what the caller adds to the settlement with it, or nothing at all (the API stores its answer so)", async () => {
    const c = await newCampaign();
    // A 3-D Secure card: the payment waits for its payer, so nothing else settles it meanwhile.
    const r = await contribute(bob, c.id, { amount: 1200, currency: "USD", paymentMethod: "pm_card_authenticationRequired" });
    expect(r.body.status).toBe("requires_action");
    const [row] = await query<{ provider_payment_id: string }>("select provider_payment_id from contributions where id = $1", [
      r.body.id,
    ]);
    const own = openDb(inject("databaseUrl"), 1);
    try {
      const payment = {
        id: row?.provider_payment_id as string,
        status: "succeeded" as const,
        amount: 1200,
        currency: "USD",
        contributionId: r.body.id as string,
      };
      let added = 0;
      await expect(
        settlePayment(own.db, {
          provider: "sandbox",
          payment,
          feeBps: 0,
          alsoInTransaction: async (tx, settled) => {
            expect(settled.status).toBe("succeeded"); // the row as the settlement left it
            added++;
            await tx.execute(sql`select 1/0`); // what the caller adds fails
          },
        }),
      ).rejects.toMatchObject({ cause: { code: "22012" } }); // division_by_zero
      expect(added).toBe(1);
      // Rolled back whole: still pending, no ledger entry, no event.
      const [after] = await query<{ status: string }>("select status from contributions where id = $1", [r.body.id]);
      expect(after?.status).toBe("pending");
      expect(await query("select 1 from ledger_entries where reference = $1", [r.body.id])).toEqual([]);
      expect(await query("select 1 from outbox_events where payload->>'contributionId' = $1", [r.body.id])).toEqual([]);
    } finally {
      await own.sql.end();
    }
  });
});

describe("idempotency keys", () => {
  it("replay the same answer for the same key and body, and never charge twice", async () => {
    const c = await newCampaign();
    const body = { amount: 1200, currency: "USD", paymentMethod: "pm_card_visa" };
    const first = await contribute(bob, c.id, body, "retry-me-1");
    const again = await contribute(bob, c.id, body, "retry-me-1");
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBe("false");
    expect(await countContributions(c.id)).toBe(1);
    expect((await totalsOf(c.id, { collectedAmount: 1200 })).contributionCount).toBe(1);
    // keys are per user: the same key from another user is a new request
    expect((await contribute(carol, c.id, body, "retry-me-1")).body.id).not.toBe(first.body.id);
  });

  it("refuse the same key with a different body (422) and a missing or bad key (400)", async () => {
    const c = await newCampaign();
    await contribute(bob, c.id, { amount: 1000, currency: "USD" }, "key-reuse");
    const reused = await contribute(bob, c.id, { amount: 9999, currency: "USD" }, "key-reuse");
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const missing = await api(`/api/campaigns/${c.id}/contributions`, { token: bob, json: { amount: 1000, currency: "USD" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("IDEMPOTENCY_KEY_MISSING");
    expect((await contribute(bob, c.id, { amount: 1000, currency: "USD" }, "k".repeat(256))).status).toBe(400);
    expect((await contribute(bob, c.id, { amount: 1000, currency: "USD" }, "has space")).status).toBe(400);
    expect(await countContributions(c.id)).toBe(1);
  });

  it("200 concurrent requests over 20 keys make exactly 20 contributions", async () => {
    const c = await newCampaign();
    const keys = Array.from({ length: 20 }, (_, i) => `burst-${c.id}-${i}`);
    const body = { amount: 100, currency: "USD", paymentMethod: "pm_card_visa" };
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => contribute(bob, c.id, body, keys[i % 20])));
    for (const r of results) expect([201, 409]).toContain(r.status);
    const idsByKey = new Map<string, Set<string>>();
    for (const [i, r] of results.entries()) {
      if (r.status !== 201) {
        expect(r.body.error.code).toBe("IDEMPOTENCY_KEY_IN_USE");
        continue;
      }
      const k = keys[i % 20] as string;
      idsByKey.set(k, (idsByKey.get(k) ?? new Set()).add(r.body.id));
    }
    for (const ids of idsByKey.values()) expect(ids.size).toBe(1);
    // retrying every key afterwards returns its one contribution
    const retried = await Promise.all(keys.map((k) => contribute(bob, c.id, body, k)));
    expect(new Set(retried.map((r) => r.body.id)).size).toBe(20);
    expect(await countContributions(c.id)).toBe(20);
    expect(await totalsOf(c.id, { collectedAmount: 2000 })).toMatchObject({ collectedAmount: 2000, contributionCount: 20 });
  });
});

describe("bad contributions get a 4xx and change nothing", () => {
  it.each([
    ["a float amount", { amount: 10.5, currency: "USD" }, 400, "VALIDATION_FAILED"],
    ["a negative amount", { amount: -100, currency: "USD" }, 400, "VALIDATION_FAILED"],
    ["an amount as a string", { amount: "100", currency: "USD" }, 400, "VALIDATION_FAILED"],
    ["an amount under Stripe's minimum", { amount: 49, currency: "USD" }, 400, "AMOUNT_OUT_OF_RANGE"],
    ["an amount over the maximum", { amount: 100_000_000, currency: "USD" }, 400, "AMOUNT_OUT_OF_RANGE"],
    ["another currency", { amount: 1000, currency: "EUR" }, 422, "CURRENCY_MISMATCH"],
    ["a lower-case currency", { amount: 1000, currency: "usd" }, 400, "VALIDATION_FAILED"],
    ["an unknown field", { amount: 1000, currency: "USD", tip: 5 }, 400, "VALIDATION_FAILED"],
    ["a message too long", { amount: 1000, currency: "USD", message: "x".repeat(501) }, 400, "VALIDATION_FAILED"],
  ])("%s", async (_, body, status, code) => {
    const c = await newCampaign();
    const key = crypto.randomUUID();
    const r = await contribute(bob, c.id, body, key);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(await countContributions(c.id)).toBe(0);
    // the key was not consumed: the corrected request goes through with it
    expect((await contribute(bob, c.id, { amount: 1000, currency: "USD" }, key)).status).toBe(201);
  });

  it("refuses closed, ended, draft and unknown campaigns, and anonymous callers", async () => {
    const ended = await newCampaign();
    await api(`/api/campaigns/${ended.id}`, { method: "PATCH", token: alice, json: { status: "ended" } });
    const e = await contribute(bob, ended.id, { amount: 1000, currency: "USD" });
    expect(e.status).toBe(409);
    expect(e.body.error.code).toBe("CAMPAIGN_CLOSED");
    const past = await newCampaign({ endsAt: new Date(Date.now() + 86_400_000).toISOString() });
    await query("update campaigns set ends_at = now() - interval '1 minute' where id = $1", [past.id]);
    expect((await contribute(bob, past.id, { amount: 1000, currency: "USD" })).body.error.code).toBe("CAMPAIGN_CLOSED");
    const draft = await newCampaign({ status: "draft" });
    expect((await contribute(bob, draft.id, { amount: 1000, currency: "USD" })).status).toBe(404);
    expect((await contribute(alice, draft.id, { amount: 1000, currency: "USD" })).body.error.code).toBe("CAMPAIGN_CLOSED");
    expect((await contribute(bob, "00000000-0000-7000-8000-000000000000", { amount: 1000, currency: "USD" })).status).toBe(404);
    expect((await contribute(bob, "nope", { amount: 1000, currency: "USD" })).status).toBe(404);
    const anon = await api(`/api/campaigns/${ended.id}/contributions`, {
      json: { amount: 1000, currency: "USD" },
      headers: { "idempotency-key": "x" },
    });
    expect(anon.status).toBe(401);
    for (const id of [ended.id, past.id, draft.id]) expect(await countContributions(id)).toBe(0);
  });
});

describe("POST /api/webhooks/stripe", () => {
  async function pendingContribution() {
    const c = await newCampaign();
    const r = await contribute(bob, c.id, { amount: 900, currency: "USD", paymentMethod: "pm_card_processing" });
    const [row] = await query<{ provider_payment_id: string }>("select provider_payment_id from contributions where id = $1", [
      r.body.id,
    ]);
    return { campaignId: c.id, contributionId: r.body.id as string, pi: row?.provider_payment_id as string };
  }

  it("refuses bad, stale and missing signatures with 400 and changes nothing", async () => {
    const p = await pendingContribution();
    const intent = { id: p.pi, amount: 900, currency: "USD", contributionId: p.contributionId };
    const wrong = await postWebhook(signedEvent("payment_intent.succeeded", intent, { secret: "whsec_wrong" }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("INVALID_SIGNATURE");
    const stale = await postWebhook(
      signedEvent("payment_intent.succeeded", intent, { timestamp: Math.floor(Date.now() / 1000) - 600 }),
    );
    expect(stale.status).toBe(400);
    const ev = signedEvent("payment_intent.succeeded", intent);
    const tampered = await postWebhook({ payload: ev.payload.replace('"amount":900', '"amount":1'), header: ev.header });
    expect(tampered.status).toBe(400);
    const none = await api("/api/webhooks/stripe", {
      method: "POST",
      body: ev.payload,
      headers: { "content-type": "application/json" },
    });
    expect(none.status).toBe(400);
    const huge = await api("/api/webhooks/stripe", {
      method: "POST",
      body: "x".repeat(300 * 1024),
      headers: { "content-type": "application/json", "stripe-signature": ev.header },
    });
    expect(huge.status).toBe(413);
    expect((await campaignOf(p.campaignId)).collectedAmount).toBe(0);
  });

  it("acknowledges event types it does not handle", async () => {
    const r = await postWebhook(signedEvent("customer.created", { id: "pi_x", amount: 1, currency: "USD" }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: true, ignored: "customer.created" });
    // A handled type whose object is not what Stripe sends with it is acknowledged and changes nothing.
    const odd = await postWebhook(signedEvent("charge.refunded", { id: "pi_x", amount: 1, currency: "USD" }));
    expect(odd.status).toBe(200);
    expect(odd.body).toEqual({ received: true, ignored: "malformed charge" });
  });

  it("applies an event once when delivered twice, and never moves a succeeded contribution backwards", async () => {
    const p = await pendingContribution();
    const intent = { id: p.pi, amount: 900, currency: "USD", contributionId: p.contributionId };
    const ev = signedEvent("payment_intent.succeeded", intent, { eventId: `evt_twice_${p.pi}` });
    expect((await postWebhook(ev)).body.result).toBe("applied");
    expect((await postWebhook(ev)).body.result).toBe("duplicate_event");
    const late = await postWebhook(signedEvent("payment_intent.payment_failed", intent));
    expect(late.status).toBe(200);
    expect(late.body.result).toBe("already_settled");
    expect((await api(`/api/contributions/${p.contributionId}`, { token: bob })).body.status).toBe("succeeded");
    // the sandbox's own (later) delivery is one more no-op
    await new Promise((r) => setTimeout(r, 2000));
    expect(await totalsOf(p.campaignId, { collectedAmount: 900 })).toMatchObject({ collectedAmount: 900, contributionCount: 1 });
    const entries = await query("select 1 from ledger_entries where kind = 'contribution' and reference = $1", [
      p.contributionId,
    ]);
    expect(entries).toHaveLength(1);
  });

  it("records an amount or currency mismatch as a discrepancy and credits nothing", async () => {
    const p = await pendingContribution();
    const wrongAmount = await postWebhook(
      signedEvent("payment_intent.succeeded", { id: p.pi, amount: 90_000, currency: "USD", contributionId: p.contributionId }),
    );
    expect(wrongAmount.body.result).toBe("discrepancy");
    const wrongCurrency = await postWebhook(
      signedEvent("payment_intent.succeeded", { id: p.pi, amount: 900, currency: "EUR", contributionId: p.contributionId }),
    );
    expect(wrongCurrency.body.result).toBe("discrepancy");
    const rows = await query<{ actual_amount: string }>(
      "select actual_amount from payment_discrepancies where contribution_id = $1",
      [p.contributionId],
    );
    expect(rows.map((r) => Number(r.actual_amount)).sort()).toEqual([900, 90_000]);
    const [c] = await query<{ status: string }>("select status from contributions where id = $1", [p.contributionId]);
    expect(c?.status).toBe("pending");
    expect((await campaignOf(p.campaignId)).collectedAmount).toBe(0);
  });
});

describe("the ledger", () => {
  it("refuses an unbalanced entry and any edit, in the database itself", async () => {
    const [acct] = await query<{ id: string }>("select id from ledger_accounts limit 1");
    const unbalanced = query(
      `with e as (insert into ledger_entries (id, kind, reference, description, provider) values (gen_random_uuid(), 'test', gen_random_uuid()::text, 'x', 'sandbox') returning id)
       insert into ledger_lines (entry_id, account_id, amount, currency) select e.id, $1, 100, a.currency from e, ledger_accounts a where a.id = $1`,
      [acct?.id],
    );
    await expect(unbalanced).rejects.toThrow(/does not balance/);
    await expect(
      query("update ledger_lines set amount = amount + 1 where id = (select min(id) from ledger_lines)"),
    ).rejects.toThrow(/append-only/);
    await expect(query("delete from ledger_entries where kind = 'contribution'")).rejects.toThrow(/append-only/);
  });

  it("`npm run cli -- ledger audit` passes after all of the above", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    await new Promise((r) => setTimeout(r, 2000)); // let pending sandbox deliveries land
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/cli.ts", "ledger", "audit"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
    });
    expect(stdout).toContain("ledger audit passed");
    expect(stdout).not.toContain("MISMATCH");
  });

  it("`ledger audit` names a campaign whose displayed total or count was changed by hand, and fails", async () => {
    const env = { DATABASE_URL: inject("databaseUrl") };
    const [c] = await query<{ id: string }>(
      "select campaign_id as id from contributions where status = 'succeeded' group by campaign_id order by campaign_id limit 1",
    );
    const id = c?.id as string;
    try {
      await query("update campaigns set contribution_count = contribution_count + 1 where id = $1", [id]);
      const count = await runCli(["ledger", "audit"], env);
      expect(count.code).toBe(1);
      expect(count.out).toMatch(new RegExp(`MISMATCH campaign ${id} .*differs: displayed count`));
      expect(count.out).toContain("ledger audit FAILED");
      await query(
        "update campaigns set contribution_count = contribution_count - 1, collected_amount = collected_amount + 1 where id = $1",
        [id],
      );
      const total = await runCli(["ledger", "audit"], env);
      expect(total.code).toBe(1);
      expect(total.out).toMatch(new RegExp(`MISMATCH campaign ${id} .*differs: displayed total$`, "m"));
    } finally {
      await query("update campaigns set collected_amount = collected_amount - 1 where id = $1", [id]);
    }
    const again = await runCli(["ledger", "audit"], env);
    expect(again.out).toContain("ledger audit passed");
    expect(again.code).toBe(0);
  });
});
