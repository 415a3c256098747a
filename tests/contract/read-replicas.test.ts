/**
 * Read replicas (DATABASE_REPLICA_URLS; lib/app `readDb()`, db/replicas.ts; docs/scaling.md, "Read replicas")
 * against a real streaming replica: a PostgreSQL 15 primary and a hot standby made from it with `pg_basebackup -R`,
 * both on loopback (tests/support/streaming-replica.ts). The app's services are built from a configuration naming
 * the replica, on the app's least-privilege login, as the process builds them (lib/app `createServices`).
 *
 * What it proves: `readDb()`'s reads (and the home listing the composition root builds on it) run on the standby,
 * `db()`'s on the primary; a campaign written through the app is seen at once by the creator's read (the primary)
 * while the replica, its replay held, does not have it yet, and the replica serves it once replayed; with the
 * replica held further behind than DATABASE_REPLICA_MAX_LAG_MS, reads go to the primary until it catches up; with the
 * replica stopped, the same reads still answer (from the primary), and go back to the replica once it is up; a read
 * the replica cancels for a recovery conflict is answered by the primary.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPLICA_BREAK_MS } from "@/db/replicas";
import { users } from "@/db/schema";
import { createServices, type Services } from "@/lib/app";
import { createCampaign, getCampaign, getPublicCampaign } from "@/lib/campaigns";
import { homeListing } from "@/lib/campaigns/listing";
import { parseConfig } from "@/lib/config";
import type { PublicUser } from "@/lib/users";
import { findUserById } from "@/lib/users";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { type StreamingPair, startStreamingPair } from "../support/streaming-replica";
import { waitFor } from "../support/wait";

describe("read replicas", () => {
  let pair: StreamingPair;
  let tdb: TestDatabase;
  let s: Services;
  let creator: PublicUser;
  let campaignId: string;
  let replicaUrl: string;
  /** The app's services on the primary and the replica, as the process builds them from its environment. */
  const servicesWith = (env: Record<string, string>) =>
    createServices(
      parseConfig({
        NODE_ENV: "test",
        DATABASE_URL: tdb.url,
        DATABASE_APP_URL: tdb.appUrl,
        DATABASE_REPLICA_URLS: replicaUrl,
        DATABASE_POOL_SIZE: "2",
        LOG_LEVEL: "silent",
        ...env,
      }),
    );
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    process.on("uncaughtException", onUncaught);
    pair = await startStreamingPair();
    // The app's migrations and its login on the primary; the replica receives both through the WAL.
    tdb = await provisionDatabase("replica", pair.primaryUrl);
    const replica = new URL(tdb.appUrl);
    replica.port = String(pair.replicaPort);
    replicaUrl = replica.toString();
    // A lag limit the held replay below never reaches: the lag guard has its own test (and its own services).
    s = servicesWith({ DATABASE_REPLICA_MAX_LAG_MS: "600000" });
    const id = uuidv7();
    await s.db.insert(users).values({ id, email: `replica-${id}@example.com`, name: "Rita Replica", role: "user" });
    creator = (await findUserById(s.db, id)) as PublicUser;
    await pair.caughtUp();
  }, 180_000);

  afterAll(async () => {
    process.off("uncaughtException", onUncaught);
    await s?.close();
    await pair?.resumeReplay().catch(() => {});
    await tdb?.drop().catch(() => {});
    await pair?.stop();
  }, 120_000);

  /** Which server answered a query made through `db` (taking `sleepSeconds` first): a standby or not, and its port. */
  const where = async (db: Services["db"], sleepSeconds = 0) => {
    const [row] = await db
      .select({ standby: sql<boolean>`pg_is_in_recovery()`, port: sql<number>`inet_server_port()` })
      .from(users)
      .where(sleepSeconds > 0 ? sql`pg_sleep(${sleepSeconds}) is not null` : undefined)
      .limit(1);
    return row;
  };

  it("sends readDb's reads to the replica, as the app's role, and db's to the primary", async () => {
    expect(await where(s.readDb)).toEqual({ standby: true, port: pair.replicaPort });
    expect(await where(s.db)).toEqual({ standby: false, port: Number(new URL(tdb.url).port) });
    const [who] = await s.readDb.select({ role: sql<string>`current_user` }).from(users).limit(1);
    expect(who?.role).toBe("crowdfund_app");
    // Writes and transactions through readDb still reach the primary (a standby refuses them).
    const at = await s.readDb.transaction(
      async (tx) => (await tx.execute<{ standby: boolean }>(sql`select pg_is_in_recovery() as standby`))[0],
    );
    expect(at?.standby).toBe(false);
  });

  it("a campaign just created is read back on the primary at once, while the replica has not replayed it", async () => {
    await pair.pauseReplay();
    const created = await createCampaign(s.db, creator, {
      title: "Seen by its creator at once",
      story: "Written on the primary while the replica's replay is held.",
      goalAmount: 50_000,
      currency: "USD",
      status: "active",
    });
    campaignId = created.id;
    // The creator's own flow (POST then the redirect to its page) reads through db(): the primary has it.
    expect((await getCampaign(s.db, campaignId, creator)).title).toBe("Seen by its creator at once");
    expect(await getPublicCampaign(s.db, campaignId)).toMatchObject({ id: campaignId });
    // readDb's reads come from the replica, which holds the WAL but has not applied it.
    expect(await getPublicCampaign(s.readDb, campaignId)).toBeUndefined();
    // The home listing the composition root builds reads the replica too.
    const listed = await s.homeListing.get();
    expect(listed.newest.map((c) => c.id)).not.toContain(campaignId);
    expect((await homeListing(s.db)).newest.map((c) => c.id)).toContain(campaignId);
  });

  it("the replica serves the campaign once it has replayed the write", async () => {
    await pair.resumeReplay();
    await pair.caughtUp();
    expect(await getPublicCampaign(s.readDb, campaignId)).toMatchObject({ id: campaignId, title: "Seen by its creator at once" });
    expect((await homeListing(s.readDb)).newest.map((c) => c.id)).toContain(campaignId);
    expect(await where(s.readDb)).toMatchObject({ standby: true });
  });

  it("a replica further behind than DATABASE_REPLICA_MAX_LAG_MS is skipped until it catches up", async () => {
    const lagging = servicesWith({ DATABASE_REPLICA_MAX_LAG_MS: "500" });
    try {
      expect(await where(lagging.readDb)).toMatchObject({ standby: true });
      await pair.pauseReplay();
      const late = await createCampaign(s.db, creator, {
        title: "Written while the replica lags",
        story: "The replica holds this write without applying it.",
        goalAmount: 10_000,
        currency: "USD",
        status: "active",
      });
      // Reads keep the probe going; once the unreplayed write is older than 500 ms, they go to the primary.
      const moved = await waitFor(
        () => where(lagging.readDb),
        (r) => r?.standby === false,
        10_000,
        100,
      );
      expect(moved).toEqual({ standby: false, port: Number(new URL(tdb.url).port) });
      expect(await getPublicCampaign(lagging.readDb, late.id)).toMatchObject({ id: late.id });
      // The other services, with a limit of ten minutes, still read the replica, which does not have it.
      expect(await getPublicCampaign(s.readDb, late.id)).toBeUndefined();
      await pair.resumeReplay();
      const back = await waitFor(
        () => where(lagging.readDb),
        (r) => r?.standby === true,
        10_000,
        100,
      );
      expect(back).toEqual({ standby: true, port: pair.replicaPort });
      expect(await getPublicCampaign(lagging.readDb, late.id)).toMatchObject({ id: late.id });
    } finally {
      await pair.resumeReplay();
      await lagging.close();
    }
  }, 60_000);

  it("with the replica stopped, its reads are answered by the primary, then go back to the replica once it is up", async () => {
    await pair.stopReplica();
    const t0 = Date.now();
    // The first read meets the dead connections (or a refused one) and runs again on the primary.
    expect(await getPublicCampaign(s.readDb, campaignId)).toMatchObject({ id: campaignId });
    expect((await homeListing(s.readDb)).newest.map((c) => c.id)).toContain(campaignId);
    expect(await where(s.readDb)).toEqual({ standby: false, port: Number(new URL(tdb.url).port) });
    expect(Date.now() - t0).toBeLessThan(REPLICA_BREAK_MS);
    await pair.startReplica();
    const back = await waitFor(
      () => where(s.readDb),
      (r) => r?.standby === true,
      REPLICA_BREAK_MS + 15_000,
    );
    expect(back).toEqual({ standby: true, port: pair.replicaPort });
    expect(uncaught).toEqual([]);
  }, 60_000);
  it("a read the replica cancels for a recovery conflict is answered by the primary", async () => {
    // A vacuum on the primary removes a row version the replica's running read may still need; replaying it, the
    // replica (max_standby_streaming_delay = 0) cancels that read with 40001 at once.
    const owner = postgres(tdb.url, { max: 1, onnotice: () => {} });
    try {
      await owner`create table if not exists conflict_probe (id int)`;
      await pair.caughtUp();
      const slow = where(s.readDb, 3);
      await new Promise((r) => setTimeout(r, 700)); // the read has its snapshot on the replica
      await owner`insert into conflict_probe values (1)`;
      await owner`delete from conflict_probe`;
      await owner`vacuum conflict_probe`;
      expect(await slow).toEqual({ standby: false, port: Number(new URL(tdb.url).port) });
      expect(uncaught).toEqual([]);
    } finally {
      await owner.end({ timeout: 1 });
    }
  }, 30_000);
});
