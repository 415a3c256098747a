/**
 * Closing a campaign for abuse end to end, and money frozen by a suspension: real app, real PostgreSQL,
 * the sandbox provider, the CLI run as its own process (killed with SIGKILL mid-way, then run again), the
 * payout run and the ledger audit. Its own database, so that payout runs see only this file's campaigns.
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as runCliProcess, startCli } from "../support/cli";
import { type AppServer, startApp, type TestDatabase } from "../support/env";
import { api, activeCampaign as publish } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

const FEE_BPS = 500;
const MINIMUM = 1000;
const APP_ENV = {
  SERVICES: "web,consumers,dispatcher",
  PAYOUT_HOLD_HOURS: "0", // what settled a moment ago is payable
  PAYOUT_MINIMUM_MINOR: String(MINIMUM),
  PLATFORM_FEE_BPS: String(FEE_BPS),
  SANDBOX_PENDING_MS: "300", // a pm_card_createDispute payment is disputed 300 ms after it succeeds
};

let tdb: TestDatabase;
let app: AppServer;
let sql: postgres.Sql;
let alice: string;
let bob: string;
let carol: string; // admin

const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const cliEnv = (env: Record<string, string> = {}) => ({
  DATABASE_URL: tdb.url,
  PAYOUT_HOLD_HOURS: "0",
  PAYOUT_MINIMUM_MINOR: String(MINIMUM),
  PLATFORM_FEE_BPS: String(FEE_BPS),
  ...env,
});
const runCli = (args: string[]) => runCliProcess(args, cliEnv());

async function give(token: string, campaignId: string, amount: number, paymentMethod = "pm_card_visa"): Promise<string> {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    base: app.baseUrl,
    token,
    json: { amount, currency: "USD", paymentMethod },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status, r.text).toBe(201);
  expect(r.body.status).toBe("succeeded");
  return r.body.id;
}

const closeForAbuse = (id: string, token: string, json: unknown = { reason: "Fraudulent fundraiser" }) =>
  api(`/api/campaigns/${id}/close-for-abuse`, { base: app.baseUrl, token, json });

const payoutsOf = (campaignId: string) =>
  sql<{ amount: string; status: string }[]>`select amount, status from payouts where campaign_id = ${campaignId}`;

let own: OwnApp | undefined;
beforeAll(async () => {
  own = await startOwnApp("abuse", APP_ENV);
  ({ tdb, app, sql, alice, bob, carol } = own);
}, 120_000);

afterAll(() => own?.stop());

describe("close for abuse", () => {
  it("refunds every contribution exactly once, across a SIGKILL of the job; nothing is paid out; the ledger audit passes", async () => {
    const id = await publish(alice, app.baseUrl, { title: "Too good to be true" });
    const amounts = new Map<string, number>();
    for (let i = 0; i < 39; i++) amounts.set(await give(bob, id, 1000 + i * 10), 1000 + i * 10);
    const disputed = await give(bob, id, 2500, "pm_card_createDispute");
    // Three contributions were partly refunded by the creator before.
    const partly = [...amounts.keys()].slice(0, 3);
    for (const c of partly) {
      const r = await api(`/api/contributions/${c}/refunds`, {
        base: app.baseUrl,
        token: alice,
        json: { amount: 300 },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
      expect(r.status, r.text).toBe(201);
    }
    await waitFor(
      () => sql`select 1 from disputes where contribution_id = ${disputed} and outcome is null`,
      (r) => r.length === 1,
      15_000,
    );

    // Only an admin; unknown campaigns 404; a reason is required.
    const denied = await closeForAbuse(id, bob);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    expect((await closeForAbuse(id, alice)).status).toBe(403); // not even its creator
    const unknown = await closeForAbuse(crypto.randomUUID(), carol);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("CAMPAIGN_NOT_FOUND");
    const noReason = await closeForAbuse(id, carol, { reason: " " });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.code).toBe("VALIDATION_FAILED");
    expect((await api(`/api/campaigns/${id}/close-for-abuse`, { base: app.baseUrl })).status).toBe(405);

    const closed = await closeForAbuse(id, carol);
    expect(closed.status, closed.text).toBe(202);
    expect(closed.body).toMatchObject({ id, status: "ended", closedForAbuse: true });
    const [row] = await sql<{ frozen: boolean; reason: string }[]>`
      select payouts_frozen_at is not null as frozen, closed_for_abuse_reason as reason from campaigns where id = ${id}`;
    expect(row).toEqual({ frozen: true, reason: "Fraudulent fundraiser" });
    expect((await closeForAbuse(id, carol, { reason: "another reason" })).status).toBe(202); // idempotent
    const noneYet = await sql`select 1 from refunds where idempotency_key like 'abuse:%'`;
    expect(noneYet).toHaveLength(0); // the decision only: the job refunds

    // The job, slowed down (15 refunds/s, pages of 3) and killed once it has started refunding.
    const args = ["campaigns", "close-for-abuse", "--id", id, "--batch-size", "3", "--max-rate", "15"];
    const first = startCli(args, cliEnv());
    while (!/refunded \d+ \/ \d+/.test(first.output()) && first.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    first.kill("SIGKILL");
    await first.done;
    expect(first.output()).toContain("is closed for abuse already: resuming its refunds");
    const [mid] = await sql<{ n: number }[]>`select count(*)::int as n from refunds where idempotency_key like 'abuse:%'`;
    console.info(`abuse refunds when killed: ${mid?.n} of 39`);
    expect(mid?.n).toBeGreaterThan(0);
    expect(mid?.n).toBeLessThan(39);

    const second = await runCli(["campaigns", "close-for-abuse", "--id", id, "--batch-size", "10"]);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain("refunded 39 / 39");
    expect(second.out).toContain("1 contributions under an open dispute");
    expect(second.out).toContain("close-for-abuse complete");
    const third = await runCli(["campaigns", "close-for-abuse", "--id", id]);
    expect(third.code, third.out).toBe(0);
    expect(third.out).toContain("refunded 39 / 39, $0.00 this run");

    // One refund per contribution from the job, of what remained; every contribution but the disputed one refunded.
    const refunds = await sql<{ contribution_id: string; amount: string; status: string; requested_by: string | null }[]>`
      select contribution_id, amount, status, requested_by from refunds where idempotency_key like 'abuse:%'`;
    expect(refunds).toHaveLength(39);
    expect(new Set(refunds.map((r) => r.contribution_id)).size).toBe(39);
    for (const r of refunds) {
      expect(r.status).toBe("succeeded");
      expect(r.requested_by).toBeNull();
      expect(Number(r.amount)).toBe((amounts.get(r.contribution_id) ?? 0) - (partly.includes(r.contribution_id) ? 300 : 0));
    }
    const contribs = await sql<{ id: string; status: string; left: string }[]>`
      select id, status::text, amount - refunded_amount as left from contributions where campaign_id = ${id}`;
    for (const c of contribs) {
      if (c.id === disputed) expect(c).toMatchObject({ status: "succeeded", left: "2500" });
      else expect(c).toMatchObject({ status: "refunded", left: "0" });
    }
    const sent = await sql<{ n: number }[]>`select count(*)::int as n from sandbox_refunds where metadata->>'refund_id' in (
      select id::text from refunds where idempotency_key like 'abuse:%')`;
    expect(sent[0]?.n).toBe(39); // each sent to the provider once

    // The collected total goes down to the disputed remainder (the consumers catch up).
    const [totals] = await waitFor(
      () => sql<{ collected: string; held: string; count: number }[]>`
        select collected_amount as collected, held_amount as held, contribution_count as count from campaigns where id = ${id}`,
      (r) => r[0]?.collected === "2500",
      15_000,
    );
    expect(totals).toEqual({ collected: "2500", held: "2500", count: 1 });

    const run = await runCli(["payouts", "run", "--date", day(1), "--allow-future-cutoff"]);
    expect(run.code, run.out).toBe(0);
    expect(await payoutsOf(id)).toEqual([]);
    const audit = await runCli(["ledger", "audit"]);
    expect(audit.code, audit.out).toBe(0);
    expect(audit.out).toContain("ledger audit passed");
  }, 180_000);

  it("the CLI closes a campaign itself (a reason required), and refuses unknown campaigns", async () => {
    const id = await publish(alice, app.baseUrl);
    await give(bob, id, 1500);
    const noReason = await runCli(["campaigns", "close-for-abuse", "--id", id]);
    expect(noReason.code).toBe(2);
    expect(noReason.out).toContain("--reason is required");
    const unknown = await runCli(["campaigns", "close-for-abuse", "--id", crypto.randomUUID(), "--reason", "spam"]);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("CAMPAIGN_NOT_FOUND");
    const r = await runCli(["campaigns", "close-for-abuse", "--id", id, "--reason", "Stolen pictures"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("closed for abuse: ended, payouts frozen");
    expect(r.out).toContain("refunded 1 / 1, $15.00 this run");
    const [c] = await sql<{ status: string; reason: string }[]>`
      select status::text, closed_for_abuse_reason as reason from campaigns where id = ${id}`;
    expect(c).toEqual({ status: "ended", reason: "Stolen pictures" });
  }, 60_000);

  it("the scheduler role refunds a campaign closed through the API in the background", async () => {
    const id = await publish(alice, app.baseUrl);
    for (let i = 0; i < 5; i++) await give(bob, id, 1200);
    const scheduler = await startApp(tdb.url, {
      ...APP_ENV,
      SERVICES: "web,scheduler",
      PAYOUT_SCHEDULE: "0 3 1 1 *",
      PAYOUT_RECONCILE_SCHEDULE: "*/2 * * * * *",
      LOG_LEVEL: "info",
    });
    try {
      expect((await closeForAbuse(id, carol)).status).toBe(202);
      const done = await waitFor(
        () => sql<{ n: number }[]>`select count(*)::int as n from refunds where campaign_id = ${id} and status = 'succeeded'`,
        (r) => r[0]?.n === 5,
        30_000,
      );
      expect(done[0]?.n).toBe(5);
      await waitFor(
        async () => scheduler.output(),
        (o) => o.includes("close-for-abuse: refunds made"),
        10_000,
      );
    } finally {
      await scheduler.stop();
    }
  }, 90_000);
});

describe("money held by a suspension", () => {
  it("stays unpaid when an admin then ends the campaign, and is paid once an admin reinstates one", async () => {
    const ended = await publish(alice, app.baseUrl, { title: "Suspended then ended" });
    const reinstated = await publish(alice, app.baseUrl, { title: "Suspended then reinstated" });
    await give(bob, ended, 4000);
    await give(bob, reinstated, 3000);
    const patch = (id: string, status: string) =>
      api(`/api/campaigns/${id}`, {
        base: app.baseUrl,
        method: "PATCH",
        token: carol,
        json: status === "suspended" ? { status, reason: "Reported as a scam" } : { status },
      });
    for (const id of [ended, reinstated]) expect((await patch(id, "suspended")).status).toBe(200);
    expect((await patch(ended, "ended")).status).toBe(200);

    const r1 = await runCli(["payouts", "run", "--date", day(2), "--allow-future-cutoff"]);
    expect(r1.code, r1.out).toBe(0);
    expect(r1.out).toMatch(/skipped: .*campaign suspended/);
    expect(await payoutsOf(ended)).toEqual([]);
    expect(await payoutsOf(reinstated)).toEqual([]);

    expect((await patch(reinstated, "active")).status).toBe(200);
    const r2 = await runCli(["payouts", "run", "--date", day(3), "--allow-future-cutoff"]);
    expect(r2.code, r2.out).toBe(0);
    expect(await payoutsOf(ended)).toEqual([]); // ended while suspended: frozen for good
    const net = 3000 - Math.floor((3000 * FEE_BPS) / 10_000);
    expect(await payoutsOf(reinstated)).toEqual([{ amount: String(net), status: "paid" }]);
    const audit = await runCli(["ledger", "audit"]);
    expect(audit.code, audit.out).toBe(0);
  }, 90_000);
});
