/**
 * One contract for every asset storage adapter: disk (a temporary directory), S3 through
 * the real @aws-sdk/client-s3 against a local server speaking the S3 protocol and checking
 * every signature (tests/support/s3-server.ts), and UploadThing through the real
 * `uploadthing` SDK against a local server speaking its protocol
 * (tests/support/uploadthing-server.ts). Neither remote service is reached. The orphan sweep
 * runs on each adapter against a fresh database.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { assets, campaigns } from "@/db/schema";
import { seedDemoUsers } from "@/db/seed";
import { diskStorage } from "@/lib/assets/storage/disk";
import { s3Storage } from "@/lib/assets/storage/s3";
import { uploadthingStorage } from "@/lib/assets/storage/uploadthing";
import { sweepOrphans } from "@/lib/assets/sweep";
import { type AssetStorage, ObjectChangedError, type StoredObject } from "@/lib/assets/types";
import { findUserByEmail } from "@/lib/users";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { type FakeS3, startFakeS3 } from "../support/s3-server";
import { type FakeUploadThing, startFakeUploadThing } from "../support/uploadthing-server";

let scratch: string;
let s3: FakeS3;
let ut: FakeUploadThing;
let database: TestDatabase | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "cf-contract-"));
  [s3, ut, database] = await Promise.all([startFakeS3(), startFakeUploadThing(), provisionDatabase("assets")]);
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.close(), ut?.close(), database?.drop()]);
  await rm(scratch, { recursive: true, force: true });
});

const adapters: [string, () => AssetStorage][] = [
  ["disk", () => diskStorage(path.join(scratch, "disk"))],
  [
    "s3",
    () =>
      s3Storage({
        bucket: s3.bucket,
        region: s3.region,
        endpoint: s3.url,
        forcePathStyle: true,
        credentials: s3.credentials,
        prefix: "cf/",
      }),
  ],
  ["uploadthing", () => uploadthingStorage({ token: ut.token, apiUrl: ut.url, ingestUrl: ut.url, ufsHost: ut.ufsHost })],
];

let n = 0;
async function file(data: Buffer) {
  const p = path.join(scratch, `src-${n++}`);
  await writeFile(p, data);
  return { path: p, size: data.length, contentType: "application/octet-stream" };
}
const bytes = async (o: StoredObject | undefined) => {
  if (!o) throw new Error("object missing");
  return Buffer.from(await new Response(o.body).arrayBuffer());
};
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.each(adapters)("asset storage adapter: %s", (name, make) => {
  let storage: AssetStorage;
  beforeAll(() => {
    storage = make();
  });
  const run = `${name}-${Date.now().toString(36)}`;
  const key = (s: string) => `c/${run}/${s}`;

  it("stores an object and reads it back whole, with its size", async () => {
    const data = randomBytes(70_000);
    const k = key("a.png");
    await storage.put(k, await file(data));
    const o = await storage.get(k);
    expect(o?.size).toBe(data.length);
    expect(sha(await bytes(o))).toBe(sha(data));
  });

  it("reads byte ranges (what video seeking needs), reporting the whole size", async () => {
    const data = randomBytes(10_000);
    const k = key("v.mp4");
    await storage.put(k, await file(data));
    const mid = await storage.get(k, { start: 100, end: 199 });
    expect(mid?.size).toBe(10_000);
    expect(Buffer.compare(await bytes(mid), data.subarray(100, 200))).toBe(0);
    const last = await storage.get(k, { start: 9_999, end: 9_999 });
    expect(Buffer.compare(await bytes(last), data.subarray(9_999))).toBe(0);
  });

  it("answers undefined for a missing object, and deletes idempotently", async () => {
    const k = key("gone.webp");
    expect(await storage.get(k)).toBeUndefined();
    await storage.put(k, await file(Buffer.from("soon gone")));
    await storage.delete(k);
    expect(await storage.get(k)).toBeUndefined();
    await expect(storage.delete(k)).resolves.toBeUndefined();
  });

  it("keeps keys that share a prefix apart (an original and its variants)", async () => {
    const k = key("p.jpg");
    await storage.put(k, await file(Buffer.from("original")));
    await storage.put(`${k}.v1-thumb.webp`, await file(Buffer.from("thumbnail")));
    expect((await bytes(await storage.get(k))).toString()).toBe("original");
    expect((await bytes(await storage.get(`${k}.v1-thumb.webp`))).toString()).toBe("thumbnail");
    await storage.delete(`${k}.v1-thumb.webp`);
    expect((await bytes(await storage.get(k))).toString()).toBe("original");
  });

  it("streams a multi-megabyte object both ways intact", async () => {
    const data = randomBytes(6 * 1024 * 1024 + 123);
    const k = key("big.webm");
    await storage.put(k, await file(data));
    const o = await storage.get(k);
    expect(o?.size).toBe(data.length);
    expect(sha(await bytes(o))).toBe(sha(data));
  }, 60_000);

  it("refuses keys that could escape their place, before touching storage", async () => {
    for (const bad of ["../etc/passwd", "c/../../x", "/abs", "c//x", "c/x/", "c/x y", ""]) {
      await expect(storage.put(bad, await file(Buffer.from("x")))).rejects.toThrow(/invalid storage key/);
      await expect(storage.get(bad)).rejects.toThrow(/invalid storage key/);
    }
  });

  it("lists the objects under a prefix with when they were written", async () => {
    const at = key("list/");
    const keys = [`${at}a.png`, `${at}a.png.v1-thumb.webp`, `${at}b.mp4`];
    for (const k of keys) await storage.put(k, await file(Buffer.from(k)));
    const listed: { key: string; lastModified: Date }[] = [];
    for await (const o of storage.list(at)) listed.push(o);
    expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
    for (const o of listed) expect(Math.abs(o.lastModified.getTime() - Date.now())).toBeLessThan(10 * 60_000);
    for await (const o of storage.list(`${at}b`)) expect(o.key).toBe(`${at}b.mp4`);
  });

  it("sweeps objects without an asset row once they are old enough, and keeps every live asset's objects", async () => {
    const { sql, db } = openDb((database as TestDatabase).url, 2);
    try {
      await seedDemoUsers(db);
      const alice = await findUserByEmail(db, "alice@example.com");
      const campaignId = crypto.randomUUID();
      const live = crypto.randomUUID();
      await db
        .insert(campaigns)
        .values({ id: campaignId, creatorId: alice?.id as string, title: "Sweep", story: "x", goalAmount: 100, currency: "EUR" });
      const c = (s: string) => `c/${campaignId}/${s}`;
      await db.insert(assets).values({
        id: live,
        campaignId,
        ownerId: alice?.id as string,
        storage: name,
        storageKey: c(`${live}.png`),
        kind: "image",
        contentType: "image/png",
        size: 4,
        sha256: "0".repeat(64),
        position: 0,
      });
      const orphan = crypto.randomUUID();
      const kept = [c(`${live}.png`), c(`${live}.png.v1-card.avif`)];
      const swept = [c(`${orphan}.jpg`), c(`${orphan}.jpg.v1-thumb.webp`), `u/${campaignId}/${crypto.randomUUID()}`];
      for (const k of [...kept, ...swept]) await storage.put(k, await file(Buffer.from("data")));
      // young objects are never touched (uploads in flight)
      const young = await sweepOrphans(db, storage, { olderThanMs: 86_400_000 });
      expect(young.deleted).toBe(0);
      const dry = await sweepOrphans(db, storage, { olderThanMs: 0, dryRun: true, now: new Date(Date.now() + 60_000) });
      expect(dry.orphans.filter((k) => k.includes(campaignId)).sort()).toEqual([...swept].sort());
      expect(dry.deleted).toBe(0);
      await sweepOrphans(db, storage, { olderThanMs: 0, now: new Date(Date.now() + 60_000) });
      for (const k of kept) expect(await storage.get(k), k).toBeDefined();
      for (const k of swept) expect(await storage.get(k), k).toBeUndefined();
    } finally {
      await sql.end();
    }
  });
});

describe("S3 direct uploads", () => {
  it("hands out presigned PUTs the bucket accepts only as signed, and moves objects", async () => {
    const storage = s3Storage({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: s3.credentials,
      prefix: "cf/",
    });
    const run = `presign-${Date.now().toString(36)}`;
    const key = (s: string) => `c/${run}/${s}`;
    const presign = storage.presignUpload?.bind(storage);
    const move = storage.move?.bind(storage);
    if (!presign || !move) throw new Error("the S3 adapter must offer presigned uploads and move");
    const k = key("upload");
    const target = await presign(k, { contentType: "video/mp4", size: 5, expiresInSeconds: 60 });
    expect(target.method).toBe("PUT");
    // the signature covers the content type: another one is refused
    expect((await fetch(target.url, { method: "PUT", body: "hello", headers: { "content-type": "text/html" } })).status).toBe(
      403,
    );
    expect(
      (
        await fetch(target.url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${"0".repeat(64)}`), {
          method: "PUT",
          body: "hello",
          headers: target.headers,
        })
      ).status,
    ).toBe(403);
    expect((await fetch(target.url, { method: "PUT", body: "hello", headers: target.headers })).status).toBe(200);
    expect((await bytes(await storage.get(k))).toString()).toBe("hello");
    await move(k, key("final.mp4"));
    expect(await storage.get(k)).toBeUndefined();
    expect((await bytes(await storage.get(key("final.mp4")))).toString()).toBe("hello");
    expect(s3.requests.some((r) => r.auth === "query")).toBe(true);
  });

  it("moves only the version that was read (ifMatch its ETag): a replaced object is refused and stays put", async () => {
    const storage = s3Storage({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: s3.credentials,
      prefix: "cf/",
    });
    const run = `ifmatch-${Date.now().toString(36)}`;
    const [from, to] = [`u/${run}/upload`, `c/${run}/final.mp4`];
    await storage.put(from, await file(Buffer.from("checked bytes")));
    const read = await storage.get(from);
    expect(read?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    await bytes(read);
    await storage.put(from, await file(Buffer.from("swapped in after the check")));
    await expect(storage.move?.(from, to, { ifMatch: read?.etag })).rejects.toBeInstanceOf(ObjectChangedError);
    expect(await storage.get(to)).toBeUndefined();
    expect((await bytes(await storage.get(from))).toString()).toBe("swapped in after the check");
    // the version read now moves
    const again = await storage.get(from);
    await bytes(again);
    await storage.move?.(from, to, { ifMatch: again?.etag });
    expect((await bytes(await storage.get(to))).toString()).toBe("swapped in after the check");
    expect(await storage.get(from)).toBeUndefined();
  });
});

describe("the local protocol servers are strict", () => {
  it("S3: a client with the wrong secret is refused (signatures are really checked)", async () => {
    const wrong = s3Storage({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: "not-the-secret" },
    });
    await expect(wrong.get("c/x/y")).rejects.toThrow(/signature/i);
  });

  it("UploadThing: a token with another API key cannot upload", async () => {
    const token = Buffer.from(JSON.stringify({ apiKey: "sk_test_someone_else", appId: ut.appId, regions: ["fake1"] })).toString(
      "base64",
    );
    const wrong = uploadthingStorage({ token, apiUrl: ut.url, ingestUrl: ut.url, ufsHost: ut.ufsHost });
    await expect(wrong.put("c/x/y.png", await file(Buffer.from("x")))).rejects.toThrow(/UploadThing upload failed/);
  });
});
