/**
 * Mail that is never lost (docs/mail.md), end to end: the real app on its own database sends through a real
 * SMTP server process on loopback (smtp-server, tests/support/smtp.ts), which parses what arrives (mailparser).
 * Receipts and the creator's notice arrive once; a 421 is retried; a 550 fails the message for good; campaign
 * updates reach each subscriber with their own signed one-click unsubscribe link; the app killed with SIGKILL
 * after the contribution committed but before its mail went out sends each message exactly once after a
 * restart. Without SMTP (the suite's shared app) messages are kept and shown to admins at /admin/mail.
 */

import { sql as dsql } from "drizzle-orm";
import type { ParsedMail } from "mailparser";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb } from "@/db/client";
import { appendEvent } from "@/lib/events/outbox";
import { writeDigests } from "@/lib/mail/digest";
import { unsubscribeToken, verifyUnsubscribeToken } from "@/lib/mail/unsubscribe";
import { runCli, startWorker } from "../support/cli";
import { type AppServer, provisionDatabase, startApp, TEST_AUTH_SECRET, type TestDatabase } from "../support/env";
import { activeCampaign, api, baseUrl, signIn, tokenFor } from "../support/http";
import { startTestSmtp, type TestSmtp } from "../support/smtp";
import { waitFor } from "../support/wait";

const FROM = "Crowdfund Test <no-reply@mail.test>";
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

async function give(base: string, token: string, campaignId: string, amount: number, extra: object = {}) {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    base,
    token,
    json: { amount, currency: "USD", paymentMethod: "pm_card_visa", ...extra },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string };
}

/** A header's raw value as it arrived (mailparser folds List-* headers into one parsed `list` header). */
function header(mail: ParsedMail | undefined, name: string): string | undefined {
  const line = mail?.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(":") + 1).trim();
}

/** How many distinct Message-IDs `smtp` received per envelope recipient and subject: each must be 1. */
function copies(smtp: TestSmtp, address: string, subject: RegExp) {
  const hits = smtp.to(address).filter((r) => subject.test(r.mail.subject ?? ""));
  return { hits, messageIds: new Set(hits.map((h) => h.messageId)).size };
}

describe("mail over SMTP", () => {
  let smtp: TestSmtp;
  let tdb: TestDatabase;
  let app: AppServer;
  let sql: postgres.Sql;
  let alice: string;
  let bob: string;
  const env = () => ({ SMTP_URL: smtp.url, MAIL_FROM: FROM, SERVICES: "web,consumers,dispatcher" });

  beforeAll(async () => {
    smtp = await startTestSmtp();
    tdb = await provisionDatabase("mail");
    app = await startApp(tdb.url, env());
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
    [alice, bob] = (await Promise.all(["alice@example.com", "bob@example.com"].map((e) => tokenFor(e, tdb.url)))) as [
      string,
      string,
    ];
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await app?.stop();
    await tdb?.drop();
    await smtp?.close();
  });

  const rowsOf = (contributionId: string) =>
    sql<{ kind: string; status: string; attempts: number; last_error: string | null; id: string }[]>`
      select kind, status, attempts, last_error, id from mail_messages
      where dedupe_key in (${`receipt:${contributionId}`}, ${`donation:${contributionId}`}) order by kind`;

  it("a contribution's receipt reaches the donor and the notice the creator, once each, with a plain-text part", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Roof for the school" });
    const c = await give(app.baseUrl, bob, campaignId, 2500);
    await waitFor(
      () => rowsOf(c.id),
      (rows) => rows.length === 2 && rows.every((r) => r.status === "sent"),
    );

    const receipt = copies(smtp, "bob@example.com", /^Receipt #\d+: \$25\.00 to Roof for the school$/);
    expect(receipt.hits).toHaveLength(1);
    const r = receipt.hits[0]?.mail;
    expect(r?.text).toContain(`/contributions/${c.id}/receipt`);
    expect(r?.html).toContain("$25.00");
    expect(header(r, "List-Unsubscribe")).toBeUndefined(); // transactional
    expect(receipt.hits[0]?.messageId).toMatch(/^<[0-9a-f-]{36}@mail\.test>$/);
    expect(r?.from?.text).toContain("no-reply@mail.test");

    const notice = copies(smtp, "alice@example.com", /^You received \$25\.00 for Roof for the school$/);
    expect(notice.hits).toHaveLength(1);
    const n = notice.hits[0]?.mail;
    expect(n?.text).toMatch(/^Hello Alice/);
    expect(header(n, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(header(n, "List-Unsubscribe")).toMatch(/^<http:\/\/localhost:\d+\/api\/unsubscribe\?token=n\.[^>]+>$/);
    expect(n?.text).toMatch(/\/unsubscribe\?token=n\./);
  });

  it("an anonymous gift is 'Anonymous' to the creator", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Quiet gifts" });
    const c = await give(app.baseUrl, bob, campaignId, 1200, { anonymous: true });
    await waitFor(
      () => rowsOf(c.id),
      (rows) => rows.length === 2 && rows.every((r) => r.status === "sent"),
    );
    const [notice] = copies(smtp, "alice@example.com", /Quiet gifts/).hits;
    expect(notice?.mail.text).toContain("Anonymous gave $12.00");
    expect(notice?.mail.text).not.toMatch(/Bob/i);
    expect(String(notice?.mail.html)).not.toMatch(/Bob/i);
  });

  it("a 421 is retried with back-off and the message delivered; a 550 fails it for good with the server's answer", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Second try" });
    smtp.refuseOnce.add("bob@example.com");
    const c = await give(app.baseUrl, bob, campaignId, 900);
    const rows = await waitFor(
      () => rowsOf(c.id),
      (rs) => rs.length === 2 && rs.every((r) => r.status === "sent"),
    );
    expect(rows.find((r) => r.kind === "receipt")?.attempts).toBe(2);
    expect(copies(smtp, "bob@example.com", /Second try/).hits).toHaveLength(1);

    smtp.refuseAlways.add("alice@example.com");
    try {
      const d = await give(app.baseUrl, bob, campaignId, 800);
      const failed = await waitFor(
        () => rowsOf(d.id),
        (rs) => rs.find((r) => r.kind === "donation_received")?.status === "failed",
      );
      const notice = failed.find((r) => r.kind === "donation_received");
      expect(notice).toMatchObject({ attempts: 1 });
      expect(notice?.last_error).toMatch(/550/);
    } finally {
      smtp.refuseAlways.clear();
    }
  });

  it("a refund and a paid payout are mailed to the donor and to the creator", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Money moves" });
    const c = await give(app.baseUrl, bob, campaignId, 5000);
    await waitFor(
      () => rowsOf(c.id),
      (rows) => rows.length === 2,
    );
    const refund = await api(`/api/contributions/${c.id}/refunds`, {
      base: app.baseUrl,
      token: alice,
      json: { amount: 1000 },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(refund.status, refund.text).toBe(201);
    await waitFor(
      () => copies(smtp, "bob@example.com", /^Refund issued: \$10\.00 from Money moves$/).hits,
      (h) => h.length === 1,
    );

    // The creator connects a payout account and the day's run pays the campaign (the sandbox transfers at once).
    const cookie = await signIn("alice@example.com", "password", app.baseUrl);
    const connect = await api("/api/me/payout-account", { base: app.baseUrl, method: "POST", cookie });
    expect([200, 201]).toContain(connect.status);
    const run = await runCli(["payouts", "run", "--date", day(1), "--allow-future-cutoff"], {
      DATABASE_URL: tdb.url,
      PAYOUT_HOLD_HOURS: "0",
    });
    expect(run.code, run.out).toBe(0);
    const [paid] = await waitFor(
      () => sql<{ amount: string }[]>`select amount from payouts where campaign_id = ${campaignId} and status = 'paid'`,
      (rows) => rows.length === 1,
    );
    const amount = `$${(Number(paid?.amount) / 100).toFixed(2)}`;
    const sent = await waitFor(
      () => copies(smtp, "alice@example.com", /^Payout sent: .* from Money moves$/).hits,
      (h) => h.length === 1,
    );
    expect(sent[0]?.mail.subject).toBe(`Payout sent: ${amount} from Money moves`);
    const events = await sql`select 1 from outbox_events where type = 'payout.paid' and partition_key = ${campaignId}`;
    expect(events).toHaveLength(1);
  });

  it("the whole path: a donor ticks the box when giving, the creator posts an update through the API, the donor gets it once", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Roof news" });
    await give(app.baseUrl, bob, campaignId, 2_500, { subscribeToUpdates: true });
    const carol = await tokenFor("carol@example.com", tdb.url);
    await give(app.baseUrl, carol, campaignId, 1_000); // did not tick the box: no update mail
    const posted = await api(`/api/campaigns/${campaignId}/updates`, {
      base: app.baseUrl,
      token: alice,
      json: { body: "The new roof is on. Thank you!" },
    });
    expect(posted.status, posted.text).toBe(201);
    const got = await waitFor(
      () => copies(smtp, "bob@example.com", /^Update from Roof news$/).hits,
      (h) => h.length === 1,
    );
    expect(got).toHaveLength(1);
    expect(got[0]?.mail.text).toContain("The new roof is on. Thank you!");
    // carol's receipt arrived (so mail reached her) but no update: she did not opt in.
    const receipt = await waitFor(
      () => copies(smtp, "carol@example.com", /^Receipt #\d+: .* to Roof news$/).hits,
      (h) => h.length === 1,
    );
    expect(receipt).toHaveLength(1);
    expect(copies(smtp, "carol@example.com", /^Update from Roof news$/).hits).toHaveLength(0);
  });

  it("a campaign update reaches every subscriber once, each with their own one-click link; a tampered token is a 400", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Garden news" });
    const users = await sql<
      { id: string; email: string }[]
    >`select id, email from users where email in ('bob@example.com', 'carol@example.com')`;
    const [author] = await sql<{ id: string }[]>`select id from users where email = 'alice@example.com'`;
    for (const u of users) await sql`insert into campaign_subscriptions (campaign_id, user_id) values (${campaignId}, ${u.id})`;
    const updateId = crypto.randomUUID();
    const { sql: pool, db } = openDb(tdb.url, 1);
    try {
      await db.transaction(async (tx) => {
        // The update row and its event commit together, as posting an update does.
        await tx.execute(
          dsql`insert into campaign_updates (id, campaign_id, author_id, body)
            values (${updateId}, ${campaignId}, ${author?.id}, ${"The first beans are up!\n\nThank you all."})`,
        );
        await appendEvent(tx, {
          type: "campaign.update_posted",
          partitionKey: campaignId,
          payload: { campaignId, updateId, authorId: author?.id as string },
        });
      });
    } finally {
      await pool.end();
    }
    for (const u of users) {
      const got = await waitFor(
        () => copies(smtp, u.email, /^Update from Garden news$/).hits,
        (h) => h.length === 1,
      );
      const m = got[0]?.mail;
      expect(m?.text).toContain("The first beans are up!");
      const oneClick = String(header(m, "List-Unsubscribe")).replace(/^<|>$/g, "");
      const token = new URL(oneClick).searchParams.get("token") as string;
      // The token PostgreSQL computed is the one the app computes and verifies.
      expect(token).toBe(unsubscribeToken(TEST_AUTH_SECRET, { kind: "campaign", userId: u.id, campaignId }));
      expect(verifyUnsubscribeToken(TEST_AUTH_SECRET, token)).toMatchObject({ userId: u.id, campaignId });
      expect(m?.text).toContain(`/unsubscribe?token=${token}`);
    }
    const [bobRow] = users.filter((u) => u.email === "bob@example.com");
    const bobMail = copies(smtp, "bob@example.com", /^Update from Garden news$/).hits[0]?.mail;
    const oneClick = String(header(bobMail, "List-Unsubscribe")).replace(/^<|>$/g, "");
    const path = oneClick.slice(oneClick.indexOf("/api/"));
    const body = "List-Unsubscribe=One-Click";
    const form = { "content-type": "application/x-www-form-urlencoded" };

    // Tampered: the last character of the signature changed, or another user's ID under bob's signature.
    const tampered = path.slice(0, -1) + (path.endsWith("A") ? "B" : "A");
    const other = path.replace(bobRow?.id as string, users.find((u) => u !== bobRow)?.id as string);
    for (const bad of [tampered, other, "/api/unsubscribe?token=garbage", "/api/unsubscribe"]) {
      const r = await api(bad, { base: app.baseUrl, method: "POST", body, headers: form });
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe("UNSUBSCRIBE_TOKEN_INVALID");
      // The confirm page opened with the same bad token shows the code, and answers 400 too (proxy.ts, pageStatus).
      const page = await fetch(`${app.baseUrl}${bad.replace("/api/unsubscribe", "/unsubscribe")}`);
      expect(page.status, bad).toBe(400);
      expect(await page.text()).toContain('data-error-code="UNSUBSCRIBE_TOKEN_INVALID"');
    }
    expect(await sql`select 1 from campaign_subscriptions where campaign_id = ${campaignId}`).toHaveLength(2);

    // A GET changes nothing (it leads to the confirm page); the one-click POST, from anywhere, unsubscribes.
    const about = await api(path, { base: app.baseUrl });
    expect(about.status).toBe(200);
    expect(about.body.unsubscribe).toMatchObject({ kind: "campaign", campaignId });
    const get = await api(path, { base: app.baseUrl, headers: { accept: "text/html" } });
    expect(get.status).toBe(303);
    expect(get.headers.get("location")).toMatch(/^\/unsubscribe\?token=c\./);
    const page = await fetch(`${app.baseUrl}${get.headers.get("location")}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Garden news");
    const ok = await api(path, { base: app.baseUrl, method: "POST", body, headers: { ...form, origin: "https://mail.example" } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ unsubscribed: { kind: "campaign", campaignId } });
    const left = await sql<{ user_id: string }[]>`select user_id from campaign_subscriptions where campaign_id = ${campaignId}`;
    expect(left.map((r) => r.user_id)).not.toContain(bobRow?.id);
    expect(left).toHaveLength(1);
  });

  it("a creator who chose the daily digest gets no mail per gift but one digest a day, anonymous gifts as 'Anonymous'", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Digest garden" });
    await sql`update users set donation_notice = 'daily' where email = 'alice@example.com'`;
    try {
      const a = await give(app.baseUrl, bob, campaignId, 700);
      const b = await give(app.baseUrl, bob, campaignId, 300, { anonymous: true });
      for (const c of [a, b]) {
        const rows = await waitFor(
          () => rowsOf(c.id),
          (rs) => rs.length === 1 && rs[0]?.status === "sent",
        );
        expect(rows.map((r) => r.kind)).toEqual(["receipt"]);
      }
      // What the scheduler does for the previous day, here for today (UTC), twice: one digest.
      const today = new Date().toISOString().slice(0, 10);
      const { sql: pool, db } = openDb(tdb.url, 1);
      try {
        const settings = { NEXTAUTH_URL: app.baseUrl, PORT: app.port };
        expect(await writeDigests(db, settings, TEST_AUTH_SECRET, today, "UTC")).toBe(1);
        expect(await writeDigests(db, settings, TEST_AUTH_SECRET, today, "UTC")).toBe(0);
      } finally {
        await pool.end();
      }
      const [digest] = await waitFor(
        () => copies(smtp, "alice@example.com", new RegExp(`^\\d+ donations? on ${today}: `)).hits,
        (h) => h.length === 1,
      );
      expect(digest?.mail.text).toContain('$7.00 from Bob Example to "Digest garden"');
      expect(digest?.mail.text).toContain('$3.00 from Anonymous to "Digest garden"');
      expect(header(digest?.mail, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
      // The digest's one-click link stops donation emails altogether.
      const oneClick = String(header(digest?.mail, "List-Unsubscribe")).replace(/^<|>$/g, "");
      const r = await api(oneClick.slice(oneClick.indexOf("/api/")), {
        base: app.baseUrl,
        method: "POST",
        body: "List-Unsubscribe=One-Click",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(r.body).toEqual({ unsubscribed: { kind: "notices" } });
      const [u] = await sql<{ donation_notice: string }[]>`select donation_notice from users where email = 'alice@example.com'`;
      expect(u?.donation_notice).toBe("off");
    } finally {
      await sql`update users set donation_notice = 'each' where email = 'alice@example.com'`;
    }
  });

  it("killed with SIGKILL after the contribution committed and before its mail went out, the app sends each message exactly once after a restart", async () => {
    const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Crash course" });
    smtp.busy = true; // every delivery is answered 421 until the app is dead
    let c: { id: string };
    try {
      c = await give(app.baseUrl, bob, campaignId, 3100);
      // Both messages are queued (committed) and have been tried at least once, and were not sent.
      await waitFor(
        () => rowsOf(c.id),
        (rows) => rows.length === 2 && rows.every((r) => r.status === "pending" && r.last_error),
      );
      await app.stop("SIGKILL");
      expect(() => process.kill(app.process.pid as number, 0)).toThrow();
    } finally {
      smtp.busy = false;
    }
    expect(copies(smtp, "bob@example.com", /Crash course/).hits).toHaveLength(0);
    app = await startApp(tdb.url, env(), app.port);
    await waitFor(
      () => rowsOf(c.id),
      (rows) => rows.length === 2 && rows.every((r) => r.status === "sent"),
      60_000,
    );
    // Settled: no other sender holds a claim on them, so nothing else can arrive.
    const receipt = copies(smtp, "bob@example.com", /^Receipt #\d+: \$31\.00 to Crash course$/);
    const notice = copies(smtp, "alice@example.com", /^You received \$31\.00 for Crash course$/);
    expect(receipt.hits).toHaveLength(1);
    expect(notice.hits).toHaveLength(1);
    expect(receipt.messageIds).toBe(1);
    expect(notice.messageIds).toBe(1);
  });

  it("under npm run worker (SERVICES=consumers) the worker queues and sends the mail, with the web process sending none", async () => {
    await app.stop();
    app = await startApp(tdb.url, { ...env(), SERVICES: "web,dispatcher" }, app.port);
    const worker = startWorker({
      DATABASE_URL: tdb.url,
      NEXTAUTH_SECRET: TEST_AUTH_SECRET,
      NEXTAUTH_URL: app.baseUrl,
      SMTP_URL: smtp.url,
      MAIL_FROM: FROM,
      SERVICES: "consumers",
    });
    try {
      await waitFor(worker.output, (o) => o.includes("[worker] running") || worker.exitCode !== null, 60_000);
      expect(worker.output()).toContain("[worker] running consumers");
      const campaignId = await activeCampaign(alice, app.baseUrl, { title: "Worker mail" });
      const c = await give(app.baseUrl, bob, campaignId, 1500);
      await waitFor(
        () => rowsOf(c.id),
        (rows) => rows.length === 2 && rows.every((r) => r.status === "sent"),
        30_000,
      );
      expect(copies(smtp, "bob@example.com", /^Receipt #\d+: \$15\.00 to Worker mail$/).hits).toHaveLength(1);
    } finally {
      worker.kill("SIGTERM");
      await worker.done;
      await app.stop();
      app = await startApp(tdb.url, env(), app.port);
    }
  });
});

describe("mail without SMTP (the embedded default)", () => {
  it("GET /api/cron/mail is refused without the cron secret", async () => {
    const r = await api("/api/cron/mail", { token: "not-the-cron-secret" });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("UNAUTHENTICATED");
  });

  it("is kept, and admins read it at /admin/mail; others get the not-found page", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const campaignId = await activeCampaign(alice, baseUrl(), { title: "Kept letters" });
    const c = await give(baseUrl(), bob, campaignId, 4200);
    const db = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
    try {
      const [receipt] = await waitFor(
        () => db<{ id: string; status: string; subject: string }[]>`
          select id, status, subject from mail_messages where dedupe_key = ${`receipt:${c.id}`}`,
        (rows) => rows[0]?.status === "kept",
      );
      const carol = await signIn("carol@example.com");
      const list = await api("/admin/mail", { cookie: carol });
      expect(list.status).toBe(200);
      expect(list.text).toContain(String(receipt?.subject));
      expect(list.text).toContain("Kept (no SMTP)");
      const one = await api(`/admin/mail/${receipt?.id}`, { cookie: carol });
      expect(one.status).toBe(200);
      expect(one.text).toContain(`/contributions/${c.id}/receipt`);
      const bobCookie = await signIn("bob@example.com");
      expect((await api("/admin/mail", { cookie: bobCookie })).status).toBe(404);
      expect((await api(`/admin/mail/${receipt?.id}`, { cookie: bobCookie })).status).toBe(404);
    } finally {
      await db.end();
    }
  });
});
