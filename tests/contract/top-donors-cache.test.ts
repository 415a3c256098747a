/**
 * The donor wall's top-donors cache (lib/payments/wall.ts `topDonorsCache`) on a fresh migrated PostgreSQL database,
 * with a 300 ms TTL instead of the app's minute: the first view waits for the query; once the list has expired a view
 * gets the old list at once and the new one shows after the background refresh; a refresh that fails keeps the old
 * list for a short while and is reported, and a later view's refresh recovers; a first view's failure is its caller's.
 */
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "@/db/client";
import { type TopDonor, topDonorsCache } from "@/lib/payments/wall";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { sleep, waitFor } from "../support/wait";

const TTL_MS = 300;

describe("the top donors cache", () => {
  let tdb: TestDatabase;
  let handle: ReturnType<typeof openDb>;
  let db: Db;
  const campaign = { id: uuidv7(), createdAt: new Date(Date.now() - 3_600_000) };
  const donors = [uuidv7(), uuidv7()];
  let gifts = 0;

  beforeAll(async () => {
    tdb = await provisionDatabase("top_donors_cache");
    handle = openDb(tdb.url, 2);
    db = handle.db;
    const sql = handle.sql;
    for (const [i, id] of donors.entries()) {
      await sql`insert into users (id, email, name) values (${id}, ${`donor${i}@top-donors.test`}, ${`Donor ${i}`})`;
    }
    await sql`insert into campaigns (id, creator_id, title, story, goal_amount, currency, status, created_at)
      values (${campaign.id}, ${donors[0] as string}, 'Cached', 'A campaign of the top donors cache test.', 100000, 'USD',
              'active', ${campaign.createdAt.toISOString()})`;
  });

  afterAll(async () => {
    await handle?.sql.end();
    await tdb?.drop();
  });

  /** A paid gift of `amount` minor units by `donor`, as settlement leaves it. */
  async function give(donor: string, amount: number) {
    gifts += 1;
    await handle.sql`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method,
        provider, provider_payment_id, receipt_number, created_at, settled_at)
      values (${uuidv7()}, ${campaign.id}, ${donor}, ${amount}, 'USD', 'succeeded', 'card', 'sandbox',
              ${`pi_top_${gifts}`}, ${gifts}, now(), now())`;
  }
  const names = (list: TopDonor[]) => list.map((d) => `${d.name}:${d.amount}`);

  it("serves the old list at once after it expires, then the refreshed one", async () => {
    const cached = topDonorsCache({ ttlMs: TTL_MS });
    await give(donors[0] as string, 1000);
    expect(names(await cached(db, campaign))).toEqual(["Donor 0:1000"]);

    await give(donors[1] as string, 5000);
    // Within the TTL the list is the cached one, without a query.
    expect(names(await cached(db, campaign))).toEqual(["Donor 0:1000"]);

    await sleep(TTL_MS + 50);
    // Expired: this view gets the old list and starts the refresh…
    expect(names(await cached(db, campaign))).toEqual(["Donor 0:1000"]);
    // …whose result the next views get.
    const fresh = await waitFor(
      () => cached(db, campaign),
      (l) => l.length === 2,
      5_000,
      20,
    );
    expect(names(fresh)).toEqual(["Donor 1:5000", "Donor 0:1000"]);
  });

  it("keeps the old list a short while when a refresh fails, says so, and recovers on a later view", async () => {
    // A long TTL beside a short retry, so that a refresh within the TTL can only be the retry's.
    const ttlMs = 1_000;
    const retryMs = 100;
    const failures: { err: unknown; campaignId: string }[] = [];
    const cached = topDonorsCache({ ttlMs, retryMs, onRefreshError: (err, campaignId) => failures.push({ err, campaignId }) });
    const before = names(await cached(db, campaign));
    expect(before).toEqual(["Donor 1:5000", "Donor 0:1000"]);

    await give(donors[0] as string, 9000);
    await sleep(ttlMs + 50);
    // A view whose database is gone: its refresh fails.
    const gone = openDb(tdb.url, 1);
    await gone.sql.end();
    expect(names(await cached(gone.db, campaign))).toEqual(before);
    await waitFor(
      async () => failures.length,
      (n) => n > 0,
      5_000,
      20,
    );
    expect(failures[0]?.campaignId).toBe(campaign.id);
    // The old list is kept retryMs more: a view meanwhile neither refreshes nor waits.
    expect(names(await cached(db, campaign))).toEqual(before);
    expect(failures).toHaveLength(1);

    // After that (and well within the TTL), a view with a working database refreshes it.
    await sleep(retryMs + 50);
    expect(names(await cached(db, campaign))).toEqual(before);
    const fresh = await waitFor(
      () => cached(db, campaign),
      (l) => l[0]?.amount === 10_000,
      ttlMs / 2,
      20,
    );
    expect(names(fresh)).toEqual(["Donor 0:10000", "Donor 1:5000"]);
  });

  it("answers a first view's failure with the error, caching nothing", async () => {
    const failures: unknown[] = [];
    const cached = topDonorsCache({ ttlMs: TTL_MS, onRefreshError: (err) => failures.push(err) });
    const gone = openDb(tdb.url, 1);
    await gone.sql.end();
    await expect(cached(gone.db, campaign)).rejects.toThrow();
    expect(failures).toEqual([]); // not a refresh: the caller got the error itself
    expect(names(await cached(db, campaign))).toEqual(["Donor 0:10000", "Donor 1:5000"]);
  });
});
