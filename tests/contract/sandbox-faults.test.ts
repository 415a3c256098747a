/**
 * The sandbox's fault injection, which the chaos harness (docs/reliability.md) relies on to give reconciliation work:
 * a lost answer means the sandbox DID make the PaymentIntent or Refund (as Stripe would have before the network
 * failed) and the caller sees ProviderUnavailableError; asking again with the same idempotency key gets the one
 * already made, never a second. A lost webhook is marked delivered without being sent, as one Stripe gave up on.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { ProviderUnavailableError, paymentIdempotencyKey } from "@/lib/payments/provider";
import { sandboxProvider, startSandboxDispatcher } from "@/lib/payments/sandbox";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { waitFor } from "../support/wait";

let tdb: TestDatabase;
let conn: ReturnType<typeof openDb>;

beforeAll(async () => {
  tdb = await provisionDatabase("sandboxfaults");
  conn = openDb(tdb.url, 4);
});
afterAll(async () => {
  await conn?.sql.end();
  await tdb?.drop();
});

const payment = (contributionId: string) => ({
  contributionId,
  campaignId: randomUUID(),
  amount: 2500,
  currency: "USD",
  paymentMethod: "pm_card_visa",
  idempotencyKey: paymentIdempotencyKey(contributionId),
  returnUrl: "http://localhost/back",
});

describe("sandbox fault injection", () => {
  it("a lost answer: the PaymentIntent and the Refund are made, the caller is told the provider is unavailable, a retry gets the same one", async () => {
    const lossy = sandboxProvider(conn.db, { webhookSecret: "whsec_x", pendingMs: 0, loseAnswerRate: 1 });
    const honest = sandboxProvider(conn.db, { webhookSecret: "whsec_x", pendingMs: 0 });
    const contributionId = randomUUID();
    await expect(lossy.createPayment(payment(contributionId))).rejects.toBeInstanceOf(ProviderUnavailableError);
    const found = await honest.findPayment(contributionId);
    expect(found).toMatchObject({ status: "succeeded", amount: 2500 });
    const again = await honest.createPayment(payment(contributionId));
    expect(again.id).toBe(found?.id);
    const [n] = await conn.db.execute<{ n: string }>(
      sql`select count(*) as n from sandbox_payments where metadata->>'contribution_id' = ${contributionId}`,
    );
    expect(Number(n?.n)).toBe(1);

    const refund = {
      paymentId: again.id,
      amount: 1000,
      currency: "USD",
      refundId: randomUUID(),
      contributionId,
      idempotencyKey: `re-${contributionId}`,
    };
    await expect(lossy.createRefund(refund)).rejects.toBeInstanceOf(ProviderUnavailableError);
    const made = await honest.createRefund(refund);
    expect(made).toMatchObject({ status: "succeeded", amount: 1000 });
    expect(await honest.listRefunds(again.id)).toHaveLength(1);
  });

  it("a lost webhook is marked delivered without reaching the endpoint", async () => {
    let received = 0;
    const server = http.createServer((req, res) => {
      received++;
      req.resume();
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const provider = sandboxProvider(conn.db, { webhookSecret: "whsec_x", pendingMs: 0 });
    const made = await provider.createPayment(payment(randomUUID()));
    const stop = startSandboxDispatcher(conn.db, { url, secret: "whsec_x", intervalMs: 20, loseRate: 1 });
    try {
      const [row] = await waitFor(
        () =>
          conn.db.execute<{ delivered: boolean; last_error: string | null }>(
            sql`select delivered_at is not null as delivered, last_error from sandbox_events where payment_id = ${made.id}`,
          ),
        (rows) => rows[0]?.delivered === true,
      );
      expect(row?.last_error).toMatch(/^lost \(simulated/);
      expect(received).toBe(0);
    } finally {
      await stop();
      server.close();
    }
  });
});
