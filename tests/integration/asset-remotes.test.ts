/**
 * The whole app configured for each remote storage, over HTTP: S3 (presigned direct
 * uploads of large files, completion, serving through the bucket) against the local S3
 * server, and UploadThing (the browser's upload flow and UploadThing's signed callback)
 * against the local UploadThing server. Neither remote service is reached.
 */
import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fixture, picture, upload } from "../support/assets";
import { type AppServer, startApp } from "../support/env";
import { TEST_ASSET_LIMITS } from "../support/global-setup";
import { api, tokenFor, validCampaign } from "../support/http";
import { type FakeS3, s3AppEnv, startFakeS3 } from "../support/s3-server";
import { type FakeUploadThing, startFakeUploadThing } from "../support/uploadthing-server";

let alice: string;
let bob: string;
beforeAll(async () => {
  [alice, bob] = await Promise.all([tokenFor("alice@example.com"), tokenFor("bob@example.com")]);
});

const campaign = async (base: string) =>
  (await api("/api/campaigns", { base, token: alice, json: validCampaign() })).body.id as string;

describe("with ASSET_STORAGE=s3", () => {
  let s3: FakeS3;
  let app: AppServer;
  beforeAll(async () => {
    s3 = await startFakeS3();
    app = await startApp(inject("databaseUrl"), {
      ...TEST_ASSET_LIMITS,
      ...s3AppEnv(s3),
      ASSET_DIRECT_UPLOAD_BYTES: String(64 * 1024),
    });
  });
  afterAll(async () => {
    await app?.stop();
    await s3?.close();
  });

  it("uploads through the app into the bucket and serves from it, ranges included", async () => {
    const id = await campaign(app.baseUrl);
    const png = await picture("png", 200, 100);
    const r = await upload(id, png, { token: alice, base: app.baseUrl });
    expect(r.status).toBe(201);
    expect([...s3.objects.keys()]).toContain(`c/${id}/${r.body.id}.png`);
    const got = await fetch(`${app.baseUrl}${r.body.url}`, { headers: { range: "bytes=0-7" } });
    expect(got.status).toBe(206);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(png.subarray(0, 8));
    const thumb = await fetch(`${app.baseUrl}${r.body.url}?variant=thumb&format=webp`);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    expect([...s3.objects.keys()]).toContain(`c/${id}/${r.body.id}.png.v1-thumb.webp`);
    expect((await api(r.body.url, { base: app.baseUrl, method: "DELETE", token: alice })).status).toBe(204);
    expect([...s3.objects.keys()].filter((k) => k.includes(r.body.id))).toEqual([]);
  });

  it("sends a large file straight to the bucket with a presigned PUT, then checks it on completion", async () => {
    const id = await campaign(app.baseUrl);
    const video = Buffer.concat([await fixture("clip.mp4")]);
    const big = await sharp({
      create: { width: 600, height: 400, channels: 3, background: "#456", noise: { type: "gaussian", mean: 100, sigma: 50 } },
    })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100" } })
      .toBuffer();
    expect(big.length).toBeGreaterThan(64 * 1024);
    for (const [data, type] of [
      [big, "image/jpeg"],
      [Buffer.concat([video, randomBytes(70 * 1024)]), "video/mp4"],
    ] as const) {
      const t = await api(`/api/campaigns/${id}/assets/uploads`, {
        base: app.baseUrl,
        token: alice,
        json: { size: data.length, contentType: type },
      });
      expect(t.status).toBe(200);
      expect(t.body.method).toBe("PUT");
      expect(t.body.url).toContain(s3.url);
      const put = await fetch(t.body.url, { method: "PUT", body: new Uint8Array(data), headers: t.body.headers });
      expect(put.status).toBe(200);
      // only the user the upload was handed to can complete it, and only with its token
      expect((await api(t.body.completeUrl, { base: app.baseUrl, method: "POST", token: bob })).status).toBe(404);
      const forged = t.body.completeUrl.replace(/token=[^&]+/, "token=9999999999.AAAA");
      expect((await api(forged, { base: app.baseUrl, method: "POST", token: alice })).status).toBe(404);
      const done = await api(t.body.completeUrl, { base: app.baseUrl, method: "POST", token: alice });
      expect(done.status).toBe(201);
      expect(done.body.contentType).toBe(type);
      expect((await api(t.body.completeUrl, { base: app.baseUrl, method: "POST", token: alice })).status).toBe(404);
    }
    const list = (await api(`/api/campaigns/${id}/assets`, { base: app.baseUrl })).body.items;
    expect(list.map((a: { kind: string }) => a.kind)).toEqual(["image", "video"]);
    expect(list[0]).toMatchObject({ width: 400, height: 600 }); // upright, metadata gone
    const jpeg = Buffer.from(await (await fetch(`${app.baseUrl}${list[0].url}`)).arrayBuffer());
    expect((await sharp(jpeg).metadata()).exif).toBeUndefined();
    // nothing is left under the upload prefix
    expect([...s3.objects.keys()].filter((k) => k.startsWith(`u/${id}/`))).toEqual([]);
  });

  it("deletes a presigned upload that turns out not to be a picture or video (415)", async () => {
    const id = await campaign(app.baseUrl);
    const junk = Buffer.from("<html><body>not a video</body></html>".repeat(3000));
    const t = await api(`/api/campaigns/${id}/assets/uploads`, {
      base: app.baseUrl,
      token: alice,
      json: { size: junk.length, contentType: "video/mp4" },
    });
    await fetch(t.body.url, { method: "PUT", body: new Uint8Array(junk), headers: t.body.headers });
    const done = await api(t.body.completeUrl, { base: app.baseUrl, method: "POST", token: alice });
    expect(done.status).toBe(415);
    expect([...s3.objects.keys()].filter((k) => k.includes(id))).toEqual([]);
    expect((await api(`/api/campaigns/${id}/assets`, { base: app.baseUrl })).body.items).toEqual([]);
  });

  it("refuses a presigned upload replaced between its check and its copy into place (409), keeping nothing", async () => {
    const id = await campaign(app.baseUrl);
    const video = Buffer.concat([await fixture("clip.mp4"), randomBytes(70 * 1024)]);
    const t = await api(`/api/campaigns/${id}/assets/uploads`, {
      base: app.baseUrl,
      token: alice,
      json: { size: video.length, contentType: "video/mp4" },
    });
    expect((await fetch(t.body.url, { method: "PUT", body: new Uint8Array(video), headers: t.body.headers })).status).toBe(200);
    // The uploader PUTs again with the same presigned URL once the app has read and checked the video.
    const swap = Buffer.from("<html><script>alert(1)</script></html>".repeat(3000));
    s3.beforeCopy = async (from) => {
      if (!from.startsWith(`u/${id}/`)) return;
      expect((await fetch(t.body.url, { method: "PUT", body: new Uint8Array(swap), headers: t.body.headers })).status).toBe(200);
    };
    try {
      const done = await api(t.body.completeUrl, { base: app.baseUrl, method: "POST", token: alice });
      expect(done.status, done.text).toBe(409);
      expect(done.body.error.code).toBe("UPLOAD_CHANGED");
    } finally {
      s3.beforeCopy = undefined;
    }
    expect([...s3.objects.keys()].filter((k) => k.includes(id))).toEqual([]);
    expect((await api(`/api/campaigns/${id}/assets`, { base: app.baseUrl })).body.items).toEqual([]);
  });
});

describe("with ASSET_STORAGE=uploadthing", () => {
  let ut: FakeUploadThing;
  let app: AppServer;
  beforeAll(async () => {
    ut = await startFakeUploadThing();
    app = await startApp(inject("databaseUrl"), {
      ...TEST_ASSET_LIMITS,
      ASSET_STORAGE: "uploadthing",
      UPLOADTHING_TOKEN: ut.token,
      UPLOADTHING_API_URL: ut.url,
      UPLOADTHING_INGEST_URL: ut.url,
      UPLOADTHING_UFS_HOST: ut.ufsHost,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await ut?.close();
  });

  /** What UploadThing's browser client does: ask our route for presigned URLs, then PUT the file there. */
  async function clientUpload(campaignId: string, data: Buffer, name: string, type: string, token = alice) {
    const start = await fetch(`${app.baseUrl}/api/uploadthing?actionType=upload&slug=campaignAsset`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
        "x-uploadthing-package": "crowdfund-tests",
      },
      body: JSON.stringify({ files: [{ name, size: data.length, type, lastModified: Date.now() }], input: { campaignId } }),
    });
    const presigned = (await start.json()) as { url: string; key: string }[] | { message: string };
    if (!start.ok || !Array.isArray(presigned)) return { status: start.status, body: presigned };
    const [target] = presigned;
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(data)], { type }), name);
    const put = await fetch((target as { url: string }).url, { method: "PUT", body: form });
    return {
      status: put.status,
      body: (await put.json()) as { serverData: { asset?: { id: string; url: string }; error?: { code: string } } },
    };
  }

  it("uploads through UploadThing; its signed callback makes the asset, served from UploadThing's file host", async () => {
    const id = await campaign(app.baseUrl);
    const png = await picture("png", 90, 60);
    const r = await clientUpload(id, png, "p.png", "image/png");
    expect(r.status).toBe(200);
    const asset = (r.body as { serverData: { asset: { id: string; url: string } } }).serverData.asset;
    expect(asset).toMatchObject({ kind: "image", contentType: "image/png", width: 90, height: 60 });
    expect(ut.callbacks.at(-1)?.status).toBe(200);
    const got = await fetch(`${app.baseUrl}${asset.url}`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(png);
    const t = await api(`/api/campaigns/${id}/assets/uploads`, { base: app.baseUrl, token: alice, json: { size: 10 } });
    expect(t.body).toMatchObject({ method: "UPLOADTHING", url: "/api/uploadthing" });
    expect((await api(asset.url, { base: app.baseUrl, method: "DELETE", token: alice })).status).toBe(204);
    expect([...ut.files.values()].filter((f) => f.customId?.includes(id))).toEqual([]);
  });

  it("refuses a callback whose signature was not made with the token's API key, and creates nothing", async () => {
    const id = await campaign(app.baseUrl);
    const payload = JSON.stringify({
      status: "uploaded",
      origin: ut.url,
      metadata: { userId: "00000000-0000-7000-8000-000000000000", campaignId: id, ids: ["0190f1d2-0000-7000-8000-000000000001"] },
      file: {
        name: "x.png",
        size: 3,
        type: "image/png",
        customId: null,
        key: "k",
        url: "u",
        appUrl: "u",
        ufsUrl: "u",
        fileHash: "h",
      },
    });
    for (const signature of [ut.sign(payload, "sk_live_an_attacker_guess"), "hmac-sha256=00", ""]) {
      const r = await fetch(`${app.baseUrl}/api/uploadthing?slug=campaignAsset`, {
        method: "POST",
        headers: { "content-type": "application/json", "uploadthing-hook": "callback", "x-uploadthing-signature": signature },
        body: payload,
      });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { message: string }).message).toBe("Invalid signature");
    }
    expect((await api(`/api/campaigns/${id}/assets`, { base: app.baseUrl })).body.items).toEqual([]);
  });

  it("refuses another user's campaign before any upload URL is handed out", async () => {
    const id = await campaign(app.baseUrl);
    const r = await clientUpload(id, await picture(), "p.png", "image/png", bob);
    expect(r.status).toBe(403);
    expect([...ut.files.values()].filter((f) => f.customId?.includes(id))).toEqual([]);
  });

  it("deletes an uploaded file that is not what it claims, and tells the browser why", async () => {
    const id = await campaign(app.baseUrl);
    const r = await clientUpload(id, Buffer.from("MZ not a picture at all ".repeat(500)), "cat.png", "image/png");
    expect(r.status).toBe(200);
    expect((r.body as { serverData: { error: { code: string } } }).serverData.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect([...ut.files.values()].filter((f) => f.customId?.includes(id))).toEqual([]);
    expect((await api(`/api/campaigns/${id}/assets`, { base: app.baseUrl })).body.items).toEqual([]);
  });
});
