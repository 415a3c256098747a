import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Db, openDb } from "@/db/client";
import { listCampaignContributionsForOwner, listOwnContributions } from "@/lib/payments/contributions";
import { listDisputesForAdmin } from "@/lib/payments/disputes";
import type { PublicUser } from "@/lib/users";
import { api, tokenFor, validCampaign } from "../support/http";
import { contribute, query } from "../support/payments";

let db: Db;
let end: () => Promise<void>;
let tokens: Record<"alice" | "bob" | "carol", string>;
let users: Record<"alice" | "bob" | "carol", PublicUser>;

beforeAll(async () => {
  const opened = openDb(inject("databaseUrl"), 2);
  db = opened.db;
  end = () => opened.sql.end();
  const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => tokenFor(`${n}@example.com`)));
  tokens = { alice: alice as string, bob: bob as string, carol: carol as string };
  const rows = await query<{ id: string; name: string; email: string; role: "user" | "admin" }>(
    "select id, name, email, role from users where email in ('alice@example.com', 'bob@example.com', 'carol@example.com')",
  );
  const of = (n: string) => rows.find((r) => r.email === `${n}@example.com`) as PublicUser;
  users = { alice: of("alice"), bob: of("bob"), carol: of("carol") };
});

afterAll(async () => {
  await end?.();
});

describe("the contributions pages' reads", () => {
  it("lists a campaign's contributions for its creator and admins only, newest first, anonymity kept, paginated", async () => {
    const c = (await api("/api/campaigns", { token: tokens.alice, json: validCampaign({ title: "Owner list" }) })).body;
    const paid = (await contribute(tokens.bob, c.id, { amount: 4000, currency: "USD" })).body;
    const declined = (
      await contribute(tokens.bob, c.id, { amount: 900, currency: "USD", paymentMethod: "pm_card_chargeDeclined" })
    ).body;
    const anon = (await contribute(tokens.carol, c.id, { amount: 1000, currency: "USD", anonymous: true })).body;
    const refund = await api(`/api/contributions/${paid.id}/refunds`, {
      token: tokens.alice,
      json: { amount: 1500, reason: "one fewer" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(refund.status).toBe(201);

    const page = await listCampaignContributionsForOwner(db, users.alice, c.id, { limit: 10 });
    expect(page.campaign).toEqual({ id: c.id, title: "Owner list", currency: "USD" });
    expect(page.items.map((i) => [i.name, i.amount, i.status, i.refundedAmount])).toEqual([
      ["Anonymous", 1000, "succeeded", 0],
      ["Bob Example", 900, "failed", 0],
      ["Bob Example", 4000, "partially_refunded", 1500],
    ]);
    expect(page.items[0]?.id).toBe(anon.id);
    expect(page.items[1]?.id).toBe(declined.id);
    expect(page.items.every((i) => i.openDispute === null)).toBe(true);
    expect(page.nextCursor).toBeNull();

    const first = await listCampaignContributionsForOwner(db, users.carol, c.id, { limit: 2 }); // an admin
    expect(first.items).toHaveLength(2);
    const second = await listCampaignContributionsForOwner(db, users.carol, c.id, {
      limit: 2,
      cursor: first.nextCursor as string,
    });
    expect(second.items.map((i) => i.id)).toEqual([paid.id]);
    expect(second.nextCursor).toBeNull();

    for (const id of [c.id, "not-a-uuid", "00000000-0000-7000-8000-000000000000"]) {
      await expect(listCampaignContributionsForOwner(db, users.bob, id, { limit: 10 })).rejects.toMatchObject({
        code: "CAMPAIGN_NOT_FOUND",
      });
    }
  });

  it("lists the donor's own contributions with their campaigns and refunds", async () => {
    const c = (await api("/api/campaigns", { token: tokens.alice, json: validCampaign({ title: "Donor list" }) })).body;
    const paid = (await contribute(tokens.bob, c.id, { amount: 2000, currency: "USD" })).body;
    for (const amount of [500, 700]) {
      const r = await api(`/api/contributions/${paid.id}/refunds`, {
        token: tokens.alice,
        json: { amount },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
      expect(r.status).toBe(201);
    }
    const mine = await listOwnContributions(db, users.bob, { limit: 100 });
    const item = mine.items.find((i) => i.id === paid.id);
    expect(item).toMatchObject({
      campaign: { id: c.id, title: "Donor list" },
      amount: 2000,
      status: "partially_refunded",
      refundedAmount: 1200,
    });
    expect(item?.refunds.map((r) => r.amount)).toEqual([700, 500]); // newest first
    expect(mine.items[0]?.id).toBe(paid.id); // newest first
    const others = await listOwnContributions(db, users.alice, { limit: 100 });
    expect(others.items.find((i) => i.id === paid.id)).toBeUndefined();
  });

  it("shows the disputes to admins only", async () => {
    const open = await listDisputesForAdmin(db, users.carol);
    expect(Array.isArray(open.open) && Array.isArray(open.closed)).toBe(true);
    await expect(listDisputesForAdmin(db, users.alice)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
