/**
 * The built app on its own database, seen from PostgreSQL: its sessions log in as the least-privilege app
 * role (`crowdfund_app`, docs/operations.md "Database roles"), never as the owner that migrates; the money
 * paths still work that way (a contribution settles and is posted to the ledger, the CLI's audit passes on
 * good books and fails on bad ones); with one connection string the app acts as the role from the same
 * login; and an app given the owner's login as its own refuses to start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_ROLE } from "@/db/client";
import { runCli } from "../support/cli";
import { startApp } from "../support/env";
import { activeCampaign, api } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

let own: OwnApp;

beforeAll(async () => {
  own = await startOwnApp("ledger_roles", { SERVICES: "web,consumers,dispatcher" });
}, 120_000);

afterAll(() => own?.stop());

/** A settled contribution of `amount` minor units to a new campaign of alice's, through the API of `o`. */
async function settledContribution(o: OwnApp, amount: number): Promise<{ campaignId: string; contributionId: string }> {
  const base = o.app.baseUrl;
  const campaignId = await activeCampaign(o.alice, base);
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    base,
    token: o.bob,
    json: { amount, currency: "USD", paymentMethod: "pm_card_visa" },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const contributionId = r.body.id as string;
  await waitFor(
    async () => (await o.sql`select status from contributions where id = ${contributionId}`)[0]?.status,
    (s) => s === "succeeded",
    20_000,
  );
  return { campaignId, contributionId };
}

describe("the app's database role", () => {
  it("every session the app opens logs in as crowdfund_app, none as the owner, and the money paths work", async () => {
    const { contributionId } = await settledContribution(own, 2500);
    const [entry] =
      await own.sql`select count(*)::int as n from ledger_entries where kind = 'contribution' and reference = ${contributionId}`;
    expect(entry?.n).toBe(1);
    // The test's own handle (one connection, this one) is the only owner's session on this database.
    const sessions = await own.sql<{ usename: string; n: number }[]>`
      select usename, count(*)::int as n from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
      group by usename order by usename`;
    expect(sessions.map((s) => s.usename)).toEqual([APP_ROLE]);
  });

  it("the CLI (as the app role) audits: passes on good books, fails once a line is edited behind the triggers", async () => {
    const env = { DATABASE_URL: own.tdb.url };
    const good = await runCli(["ledger", "audit"], env);
    expect(good.code, good.out).toBe(0);
    expect(good.out).toContain("ledger audit passed");
    // Only the owner can turn a trigger off; it does so here to make the books wrong on purpose.
    await own.sql.begin(async (tx) => {
      await tx`alter table ledger_lines disable trigger ledger_lines_append_only`;
      await tx`update ledger_lines set amount = amount + 1 where id = (select min(id) from ledger_lines)`;
      await tx`alter table ledger_lines enable trigger ledger_lines_append_only`;
    });
    const bad = await runCli(["ledger", "audit"], env);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toMatch(/UNBALANCED entry/);
    await own.sql.begin(async (tx) => {
      await tx`alter table ledger_lines disable trigger ledger_lines_append_only`;
      await tx`update ledger_lines set amount = amount - 1 where id = (select min(id) from ledger_lines)`;
      await tx`alter table ledger_lines enable trigger ledger_lines_append_only`;
    });
  });

  it("with one connection string (DATABASE_APP_URL unset) the app acts as crowdfund_app and still takes money", async () => {
    // It starts at all only because its pools act as crowdfund_app: as the owner, its start-up check refuses (below).
    const one = await startOwnApp("ledger_one_url", { DATABASE_APP_URL: "", SERVICES: "web,consumers,dispatcher" });
    try {
      const { contributionId } = await settledContribution(one, 1200);
      const [entry] = await one.sql`select count(*)::int as n from ledger_entries where reference = ${contributionId}`;
      expect(entry?.n).toBe(1);
      const audit = await runCli(["ledger", "audit"], { DATABASE_URL: one.tdb.url });
      expect(audit.code, audit.out).toBe(0);
    } finally {
      await one.stop();
    }
  }, 120_000);

  it("refuses to start when its own login is the owner's (DATABASE_APP_URL = DATABASE_URL)", async () => {
    // `npm start` exits before serving; under `next start` the failed instrumentation hook answers every request with a 500.
    const wrong = startApp(own.tdb.url, { DATABASE_APP_URL: own.tdb.url, SERVICES: "web" });
    await expect(wrong).rejects.toThrow(/app exited \(1\) during start[\s\S]*may change the ledger: set DATABASE_APP_URL/);
  });
});
