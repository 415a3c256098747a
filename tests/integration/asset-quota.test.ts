/**
 * The per-user storage quota (STORAGE_QUOTA_BYTES_PER_USER, docs/security.md): counted over all of a
 * user's campaigns, enforced on the upload through the app and on presigned uploads (at the start on the
 * declared size, at completion on the real one), under a lock so that parallel uploads cannot both slip
 * in. Past it: 413 STORAGE_QUOTA_EXCEEDED and nothing stored. The app runs on the local S3 server, in its
 * own database (the quota counts every asset of the user).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, upload } from "../support/assets";
import { TEST_ASSET_LIMITS } from "../support/global-setup";
import { api, validCampaign } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { type FakeS3, s3AppEnv, startFakeS3 } from "../support/s3-server";

const KiB = 1024;
const QUOTA = 256 * KiB;

let s3: FakeS3;
let w: OwnApp;
let clip: Buffer;
beforeAll(async () => {
  s3 = await startFakeS3();
  clip = await fixture("clip.mp4");
  w = await startOwnApp("quota", {
    ...TEST_ASSET_LIMITS,
    STORAGE_QUOTA_BYTES_PER_USER: String(QUOTA),
    ...s3AppEnv(s3),
    ASSET_DIRECT_UPLOAD_BYTES: String(64 * KiB),
  });
});
afterAll(async () => {
  await w?.stop();
  await s3?.close();
});

/** A playable MP4 of about `kib` KiB (the fixture clip padded with random bytes after its boxes). */
const video = (kib: number) => Buffer.concat([clip, randomBytes(kib * KiB)]);
const campaign = async (token: string) =>
  (await api("/api/campaigns", { base: w.app.baseUrl, token, json: validCampaign() })).body.id as string;
const post = (id: string, data: Buffer, token: string) => upload(id, data, { token, base: w.app.baseUrl, type: "video/mp4" });
const objectsOf = (id: string) => [...s3.objects.keys()].filter((k) => k.includes(id));
const used = async (email: string) => {
  const [r] = await w.sql`select coalesce(sum(a.size), 0)::int as n from assets a join users u on u.id = a.owner_id
    where u.email = ${email}`;
  return r?.n as number;
};

describe("the storage quota per user", () => {
  let first: { campaign: string; asset: string };

  it("counts every campaign of the user: an upload past it is a 413 that stores nothing", async () => {
    const a = await campaign(w.alice);
    const ok = await post(a, video(150), w.alice);
    expect(ok.status, ok.text).toBe(201);
    first = { campaign: a, asset: ok.body.id };
    const b = await campaign(w.alice);
    const over = await post(b, video(100), w.alice);
    expect(over.status, over.text).toBe(413);
    expect(over.body.error.code).toBe("STORAGE_QUOTA_EXCEEDED");
    expect(objectsOf(b)).toEqual([]);
    expect(await used("alice@example.com")).toBe(ok.body.size);
    // another user's quota is their own
    expect((await post(await campaign(w.bob), video(150), w.bob)).status).toBe(201);
  });

  it("refuses a presigned upload past it: at the start on the declared size, at completion on the real one", async () => {
    const c = await campaign(w.alice);
    const declaredTooBig = await api(`/api/campaigns/${c}/assets/uploads`, {
      base: w.app.baseUrl,
      token: w.alice,
      json: { size: 120 * KiB, contentType: "video/mp4" },
    });
    expect(declaredTooBig.status).toBe(413);
    expect(declaredTooBig.body.error.code).toBe("STORAGE_QUOTA_EXCEEDED");
    // declared small enough, then a bigger file PUT (a presigned PUT does not bind the size)
    const t = await api(`/api/campaigns/${c}/assets/uploads`, {
      base: w.app.baseUrl,
      token: w.alice,
      json: { size: 70 * KiB, contentType: "video/mp4" },
    });
    expect(t.status, t.text).toBe(200);
    expect(t.body.method).toBe("PUT");
    const big = video(150);
    expect((await fetch(t.body.url, { method: "PUT", body: new Uint8Array(big), headers: t.body.headers })).status).toBe(200);
    const done = await api(t.body.completeUrl, { base: w.app.baseUrl, method: "POST", token: w.alice });
    expect(done.status, done.text).toBe(413);
    expect(done.body.error.code).toBe("STORAGE_QUOTA_EXCEEDED");
    expect(objectsOf(c)).toEqual([]);
    expect((await api(`/api/campaigns/${c}/assets`, { base: w.app.baseUrl })).body.items).toEqual([]);
  });

  it("lets one of two parallel uploads in when only one fits, and frees room when an asset goes", async () => {
    expect((await api(`/api/assets/${first.asset}`, { base: w.app.baseUrl, method: "DELETE", token: w.alice })).status).toBe(204);
    expect(await used("alice@example.com")).toBe(0);
    const [x, y] = [await campaign(w.alice), await campaign(w.alice)];
    const results = await Promise.all([post(x, video(150), w.alice), post(y, video(150), w.alice)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 413]);
    expect(results.find((r) => r.status === 413)?.body.error.code).toBe("STORAGE_QUOTA_EXCEEDED");
    expect(await used("alice@example.com")).toBeLessThanOrEqual(QUOTA);
    expect(objectsOf(x).length + objectsOf(y).length).toBe(1);
  });
});
