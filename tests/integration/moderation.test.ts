/**
 * Reports, moderation and the admin audit log (docs/moderation.md) against the real app and PostgreSQL: a
 * report, the same report again, an admin's suspension acting on the reports with its audit row, a refused
 * action leaving no row, the app's database role unable to change or delete audit rows, and who may read it.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "@/db/client";
import { dismissReport, moderationQueue } from "@/lib/moderation/reports";
import type { PublicUser } from "@/lib/users";
import { runCli } from "../support/cli";
import { testAppUrl } from "../support/env";
import { activeCampaign, api, baseUrl, tokenFor, validCampaign } from "../support/http";

let alice: string;
let bob: string;
let carol: string; // the seeded admin
let owner: postgres.Sql;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([
    tokenFor("alice@example.com"),
    tokenFor("bob@example.com"),
    tokenFor("carol@example.com"),
  ]);
  owner = postgres(inject("databaseUrl"), { max: 2, onnotice: () => {} });
});

afterAll(() => owner?.end());

const report = (id: string, token: string | undefined, json: unknown) => api(`/api/campaigns/${id}/reports`, { token, json });
const auditOf = (subjectId: string, token = carol) =>
  api(`/api/admin/audit?subjectId=${encodeURIComponent(subjectId)}`, { token });

describe("reporting a campaign", () => {
  it("makes one open report per user; the same user again gets that report back; an admin's suspension actions it and is audited", async () => {
    const id = await activeCampaign(alice, baseUrl(), { title: "Reported campaign" });
    const first = await report(id, bob, { reason: "fraud", details: "The pictures are from a news site." });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({
      campaignId: id,
      reason: "fraud",
      status: "open",
      details: "The pictures are from a news site.",
    });

    const again = await report(id, bob, { reason: "spam" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body); // the open report, unchanged
    const byCarol = await report(id, carol, { reason: "misleading" });
    expect(byCarol.status).toBe(201);
    expect(await owner`select count(*)::int as n from campaign_reports where campaign_id = ${id}`).toEqual([{ n: 2 }]);

    const s = await api(`/api/campaigns/${id}`, {
      method: "PATCH",
      token: carol,
      json: { status: "suspended", reason: "Pictures taken from elsewhere" },
    });
    expect(s.status, s.text).toBe(200);
    const reports =
      await owner`select status, resolved_by is not null as resolved from campaign_reports where campaign_id = ${id}`;
    expect(reports).toEqual([
      { status: "actioned", resolved: true },
      { status: "actioned", resolved: true },
    ]);

    const audit = await auditOf(id);
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      action: "campaign.suspend",
      subjectType: "campaign",
      subjectId: id,
      actor: { name: expect.any(String) },
      details: { from: "active", to: "suspended", reason: "Pictures taken from elsewhere", reportsActioned: 2 },
    });
    // The audit row, the suspension and the reports' change were made by one transaction (the same xmin).
    const [tx] = await owner`
      select (select xmin::text from admin_audit_log where subject_id = ${id}) as audit,
             (select string_agg(distinct xmin::text, ',') from campaign_reports where campaign_id = ${id}) as reports`;
    expect(tx?.audit).toBeTruthy();
    expect(tx?.audit).toBe(tx?.reports);

    // Reported again after the action: a new report.
    expect((await report(id, bob, { reason: "fraud" })).status).toBe(201);

    // Reinstated: one more row, newest first.
    const r = await api(`/api/campaigns/${id}`, { method: "PATCH", token: carol, json: { status: "active" } });
    expect(r.status).toBe(200);
    expect((await auditOf(id)).body.items.map((e: { action: string }) => e.action)).toEqual([
      "campaign.reinstate",
      "campaign.suspend",
    ]);
  });

  it("refuses a report of one's own campaign (403), of another's draft (404), of an unknown ID (404), a bad reason (400), and anonymous (401), changing nothing", async () => {
    const id = await activeCampaign(alice, baseUrl());
    const draft = await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft" }) });
    const cases: [string, string | undefined, unknown, number, string][] = [
      [id, alice, { reason: "fraud" }, 403, "FORBIDDEN"],
      [draft.body.id, bob, { reason: "fraud" }, 404, "CAMPAIGN_NOT_FOUND"],
      [crypto.randomUUID(), bob, { reason: "fraud" }, 404, "CAMPAIGN_NOT_FOUND"],
      ["not-a-uuid", bob, { reason: "fraud" }, 404, "CAMPAIGN_NOT_FOUND"],
      [id, bob, { reason: "boring" }, 400, "VALIDATION_FAILED"],
      [id, bob, { reason: "other", details: "x".repeat(2001) }, 400, "VALIDATION_FAILED"],
      [id, bob, { reason: "other", extra: 1 }, 400, "VALIDATION_FAILED"],
      [id, undefined, { reason: "fraud" }, 401, "UNAUTHENTICATED"],
    ];
    for (const [target, token, body, status, code] of cases) {
      const r = await report(target, token, body);
      expect([r.status, r.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await owner`select count(*)::int as n from campaign_reports where campaign_id in (${id}, ${draft.body.id})`).toEqual([
      { n: 0 },
    ]);
  });
});

describe("the admin audit log", () => {
  it("a refused admin action writes no audit row; a close for abuse writes one with its reason", async () => {
    const id = await activeCampaign(alice, baseUrl());
    // An admin may not end an active campaign (only the creator may): refused, nothing written.
    const refused = await api(`/api/campaigns/${id}`, { method: "PATCH", token: carol, json: { status: "ended" } });
    expect(refused.status).toBe(409);
    // Suspending without a reason: refused by validation.
    expect((await api(`/api/campaigns/${id}`, { method: "PATCH", token: carol, json: { status: "suspended" } })).status).toBe(
      400,
    );
    // bob is no admin.
    expect((await api(`/api/campaigns/${id}/close-for-abuse`, { token: bob, json: { reason: "A scam" } })).status).toBe(403);
    expect((await auditOf(id)).body.items).toEqual([]);

    const closed = await api(`/api/campaigns/${id}/close-for-abuse`, { token: carol, json: { reason: "A scam" } });
    expect(closed.status).toBe(202);
    const again = await api(`/api/campaigns/${id}/close-for-abuse`, { token: carol, json: { reason: "Again" } });
    expect(again.status).toBe(202); // idempotent: no second row
    const rows = (await auditOf(id)).body.items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "campaign.close_for_abuse", details: { from: "active", reason: "A scam" } });
  });

  it("an operator's close for abuse from the CLI is audited with no actor", async () => {
    const id = await activeCampaign(alice, baseUrl());
    await report(id, bob, { reason: "fraud" });
    const cli = await runCli(["campaigns", "close-for-abuse", "--id", id, "--reason", "Ordered by the court"], {
      DATABASE_URL: inject("databaseUrl"),
    });
    expect(cli.code, cli.out).toBe(0);
    const rows = (await auditOf(id)).body.items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor: null,
      action: "campaign.close_for_abuse",
      details: { reason: "Ordered by the court", reportsActioned: 1 },
    });
  }, 60_000);

  it("the creator's own moves are not admin actions: no audit row", async () => {
    const id = await activeCampaign(alice, baseUrl());
    expect((await api(`/api/campaigns/${id}`, { method: "PATCH", token: alice, json: { status: "ended" } })).status).toBe(200);
    expect((await auditOf(id)).body.items).toEqual([]);
  });

  it("is append-only for the app's database role: UPDATE, DELETE and TRUNCATE are refused", async () => {
    const app = postgres(testAppUrl(inject("databaseUrl")), { max: 1, onnotice: () => {} });
    try {
      const [row] = await app`
        insert into admin_audit_log (action, subject_type, subject_id) values ('test.append', 'campaign', 'x') returning seq`;
      expect(row?.seq).toBeDefined();
      await expect(app`update admin_audit_log set action = 'changed' where seq = ${row?.seq}`).rejects.toThrow(
        /permission denied/,
      );
      await expect(app`delete from admin_audit_log where seq = ${row?.seq}`).rejects.toThrow(/permission denied/);
      await expect(app`truncate admin_audit_log`).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });

  it("GET /api/admin/audit: admins only (403 for others, 401 anonymous), keyset pages newest first, bad queries 400", async () => {
    expect((await api("/api/admin/audit", { token: bob })).status).toBe(403);
    expect((await api("/api/admin/audit")).status).toBe(401);
    for (const q of ["limit=0", "limit=101", "cursor=abc", "cursor=-1", "subjectType=user", "subjectId=a%00b"]) {
      const r = await api(`/api/admin/audit?${q}`, { token: carol });
      expect([q, r.status, r.body.error?.code]).toEqual([q, 400, "VALIDATION_FAILED"]);
    }
    const id = await activeCampaign(alice, baseUrl());
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await api(`/api/campaigns/${id}`, {
            method: "PATCH",
            token: carol,
            json: { status: "suspended", reason: `Round ${i}` },
          })
        ).status,
      ).toBe(200);
      expect((await api(`/api/campaigns/${id}`, { method: "PATCH", token: carol, json: { status: "active" } })).status).toBe(200);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof api<any>>> = await api(
        `/api/admin/audit?subjectType=campaign&subjectId=${id}&limit=4${cursor ? `&cursor=${cursor}` : ""}`,
        { token: carol },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((e: { seq: number }) => e.seq));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it("an admin's refund of someone else's contribution is audited; the creator's own is not", async () => {
    const id = await activeCampaign(alice, baseUrl());
    const gift = await api(`/api/campaigns/${id}/contributions`, {
      token: bob,
      json: { amount: 3000, currency: "USD", paymentMethod: "pm_card_visa" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(gift.status, gift.text).toBe(201);
    const refund = (token: string, amount: number) =>
      api(`/api/contributions/${gift.body.id}/refunds`, {
        token,
        json: { amount, reason: "Asked for it back" },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
    expect((await refund(alice, 500)).status).toBe(201);
    expect((await auditOf(gift.body.id)).body.items).toEqual([]);
    const byAdmin = await refund(carol, 700);
    expect(byAdmin.status, byAdmin.text).toBe(201);
    const rows = (await auditOf(gift.body.id)).body.items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: "contribution.refund",
      subjectType: "contribution",
      details: { amount: 700, currency: "USD", campaignId: id, refundId: byAdmin.body.id, reason: "Asked for it back" },
    });
  });
});

describe("the /admin queue (lib/moderation moderationQueue)", () => {
  it("lists a reported campaign with its count, reasons and reports; a dismissal takes a report off it and is audited", async () => {
    const id = await activeCampaign(alice, baseUrl(), { title: "In the queue" });
    const dave = await owner`
      insert into users (id, email, name, role, password_hash)
      select gen_random_uuid(), ${`queue-${Date.now()}@example.com`}, 'Queue Reporter', 'user', password_hash
      from users where email = 'bob@example.com' returning id`;
    expect((await report(id, bob, { reason: "spam", details: "Posted ten times" })).status).toBe(201);
    await owner`insert into campaign_reports (id, campaign_id, reporter_id, reason)
      values (gen_random_uuid(), ${id}, ${dave[0]?.id}, 'fraud')`;
    const { sql, db } = openDb(inject("databaseUrl"), 1);
    try {
      const [carolRow] = await owner`select id, name, email, role from users where email = 'carol@example.com'`;
      const admin = carolRow as unknown as PublicUser;
      const queue = await moderationQueue(db, admin, { limit: 500 });
      const item = queue.reported.find((c) => c.campaignId === id);
      expect(item).toMatchObject({ title: "In the queue", status: "active", openReports: 2, reasons: ["fraud", "spam"] });
      expect(item?.reports).toHaveLength(2);
      expect(item?.reports.map((r) => r.details)).toContain("Posted ten times");
      expect(queue.openDisputes).toBeGreaterThanOrEqual(0);

      await expect(moderationQueue(db, { ...admin, role: "user" } as PublicUser)).rejects.toMatchObject({ code: "FORBIDDEN" });
      const spam = item?.reports.find((r) => r.reason === "spam");
      await expect(dismissReport(db, { ...admin, role: "user" } as PublicUser, spam?.id as string)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      const dismissed = await dismissReport(db, admin, spam?.id as string, "Only one post");
      expect(dismissed.status).toBe("dismissed");
      await expect(dismissReport(db, admin, spam?.id as string)).rejects.toMatchObject({ code: "REPORT_NOT_OPEN" });
      await expect(dismissReport(db, admin, crypto.randomUUID())).rejects.toMatchObject({ code: "REPORT_NOT_FOUND" });
      const after = (await moderationQueue(db, admin, { limit: 500 })).reported.find((c) => c.campaignId === id);
      expect(after?.openReports).toBe(1);
      const audit = (await auditOf(spam?.id as string)).body.items;
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        action: "report.dismiss",
        details: { campaignId: id, reason: "spam", note: "Only one post" },
      });

      // suspended: listed as suspended, and its remaining open report actioned (off the queue)
      await api(`/api/campaigns/${id}`, { method: "PATCH", token: carol, json: { status: "suspended", reason: "Spam" } });
      const later = await moderationQueue(db, admin, { limit: 500 });
      expect(later.reported.find((c) => c.campaignId === id)).toBeUndefined();
      expect(later.suspended.find((c) => c.campaignId === id)).toMatchObject({ title: "In the queue", reason: "Spam" });
    } finally {
      await sql.end();
    }
  });
});
