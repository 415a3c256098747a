/**
 * The asset service over HTTP against the real app (disk storage in a scratch directory):
 * uploads, serving (ETag/304, Range/206, variants), reorder, delete, drafts, and every
 * bad upload refused with its 4xx leaving no row, no object and no temporary file.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { filesUnder, fixture, partialUpload, picture, traces, upload } from "../support/assets";
import { api, tokenFor, validCampaign } from "../support/http";
import { waitFor } from "../support/payments";

let alice: string;
let bob: string;
let campaignId: string;

const newCampaign = async (over: Record<string, unknown> = {}) =>
  (await api("/api/campaigns", { token: alice, json: validCampaign(over) })).body.id as string;

const nothingLeft = async (id: string) => expect(await traces(id)).toEqual({ rows: 0, objects: 0, temp: 0 });

const raw = async (p: string, headers: Record<string, string> = {}) => {
  const res = await fetch(new URL(p, inject("baseUrl")), { headers });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
};

beforeAll(async () => {
  [alice, bob] = await Promise.all([tokenFor("alice@example.com"), tokenFor("bob@example.com")]);
  campaignId = await newCampaign({ title: "Pictures for the shelter" });
});

describe("uploading", () => {
  it("stores a picture and answers 201 with what it detected; the campaign lists it", async () => {
    const png = await picture("png", 120, 80);
    const r = await upload(campaignId, png, { token: alice, name: "holiday.jpg", type: "image/jpeg" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: "image", contentType: "image/png", size: png.length, width: 120, height: 80 });
    expect(r.body.url).toBe(`/api/assets/${r.body.id}`);
    expect(r.headers.get("location")).toBe(r.body.url);
    const c = await api(`/api/campaigns/${campaignId}`);
    expect(c.body.assets.map((a: { id: string }) => a.id)).toContain(r.body.id);
    const { res, bytes } = await raw(r.body.url);
    expect(res.status).toBe(200);
    expect(Buffer.compare(bytes, png)).toBe(0);
  });

  it("takes JPEG, WebP, GIF and AVIF pictures and MP4 and WebM videos, measuring each", async () => {
    const id = await newCampaign();
    for (const f of ["jpeg", "webp", "gif", "avif"] as const) {
      const r = await upload(id, await picture(f, 64, 48), { token: alice });
      expect(r.status, f).toBe(201);
      expect(r.body).toMatchObject({ kind: "image", contentType: `image/${f}`, width: 64, height: 48 });
    }
    for (const [file, type] of [
      ["clip.mp4", "video/mp4"],
      ["clip.webm", "video/webm"],
    ]) {
      const r = await upload(id, await fixture(file as string), { token: alice, name: "film.png", type: "image/png" });
      expect(r.status, file).toBe(201);
      expect(r.body).toMatchObject({ kind: "video", contentType: type, width: 160, height: 90, durationSeconds: 1 });
    }
    const list = await api(`/api/campaigns/${id}/assets`);
    expect(list.body.items.map((a: { position: number }) => a.position)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("strips EXIF (GPS position included) from pictures, turned upright", async () => {
    const withGps = await sharp(await picture("jpeg", 100, 60))
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Artist: "Alice Example" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100" } })
      .jpeg()
      .toBuffer();
    expect((await sharp(withGps).metadata()).orientation).toBe(6);
    expect(withGps.includes(Buffer.from("Alice Example"))).toBe(true);
    const r = await upload(campaignId, withGps, { token: alice });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ width: 60, height: 100 }); // orientation 6 (90°) applied
    const { bytes } = await raw(r.body.url);
    const meta = await sharp(bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(bytes.includes(Buffer.from("Alice Example"))).toBe(false);
    expect(r.body.size).toBe(bytes.length);
  });
});

describe("bad uploads get their 4xx and leave nothing behind", () => {
  it("refuses text disguised with a .png name and image/png type (415)", async () => {
    const id = await newCampaign();
    const r = await upload(id, Buffer.from("#!/bin/sh\necho not a picture\n".repeat(300)), {
      token: alice,
      name: "cat.png",
      type: "image/png",
    });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    await nothingLeft(id);
  });

  it("refuses an HTML page and an SVG named .jpg (415)", async () => {
    const id = await newCampaign();
    for (const body of [
      "<!doctype html><script>alert(1)</script>",
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ]) {
      const r = await upload(id, Buffer.from(body), { token: alice, name: "x.jpg", type: "image/jpeg" });
      expect(r.status).toBe(415);
    }
    await nothingLeft(id);
  });

  it("refuses a damaged picture and an MP4 that cannot play (415)", async () => {
    const id = await newCampaign();
    const png = await picture("png", 400, 300);
    const damaged = Buffer.concat([png.subarray(0, 60), randomBytes(5000)]);
    expect((await upload(id, damaged, { token: alice })).status).toBe(415);
    const ftypOnly = Buffer.concat([
      Buffer.from("0000001c6674797069736f6d0000020069736f6d69736f326d703431", "hex"),
      randomBytes(8000),
    ]);
    const r = await upload(id, ftypOnly, { token: alice, name: "x.mp4", type: "video/mp4" });
    expect(r.status).toBe(415);
    await nothingLeft(id);
  });

  it("refuses a picture over the image limit while it streams (413), and a video over the video limit", async () => {
    const id = await newCampaign();
    const png = await picture("png");
    const big = Buffer.concat([png, randomBytes(1024 * 1024 + 10)]); // PNG magic, then over 1 MB
    const r = await upload(id, big, { token: alice });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(r.body.error.message).toMatch(/image may be at most 1 MB/);
    const mp4 = await fixture("clip.mp4");
    const v = await upload(id, Buffer.concat([mp4, randomBytes(2 * 1024 * 1024)]), { token: alice });
    expect(v.status).toBe(413);
    await nothingLeft(id);
  });

  it("refuses another user's campaign (403), someone's draft (404), and no credentials (401)", async () => {
    const id = await newCampaign();
    const draft = await newCampaign({ status: "draft" });
    const png = await picture();
    const other = await upload(id, png, { token: bob });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("FORBIDDEN");
    expect((await upload(draft, png, { token: bob })).status).toBe(404);
    expect((await upload(id, png)).status).toBe(401);
    expect((await upload("not-a-uuid", png, { token: alice })).status).toBe(404);
    await nothingLeft(id);
    await nothingLeft(draft);
  });

  it("refuses a body that ends before the file does (400)", async () => {
    const id = await newCampaign();
    const png = await picture("png", 300, 200);
    const status = await partialUpload(id, alice, png.subarray(0, png.length / 2), "truncated", 0);
    expect(status).toBe(400);
    await nothingLeft(id);
  });

  it("keeps nothing of a client that disconnects mid-upload", async () => {
    const id = await newCampaign();
    const mp4 = await fixture("clip.mp4");
    const status = await partialUpload(id, alice, Buffer.concat([mp4, randomBytes(200_000)]), "disconnect", 1_500_000);
    expect(status).toBe("disconnected");
    await waitFor(
      () => traces(id),
      (t) => t.temp === 0,
    );
    await nothingLeft(id);
  });

  it("answers 415 to a body that is not multipart and 400 without the file field", async () => {
    const id = await newCampaign();
    const json = await api(`/api/campaigns/${id}/assets`, { token: alice, json: { url: "http://example.com/x.png" } });
    expect(json.status).toBe(415);
    const noFile = await upload(id, await picture(), { token: alice, field: "photo" });
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.details[0].field).toBe("file");
    await nothingLeft(id);
  });
});

describe("malformed requests get a clean 4xx, never a 5xx", () => {
  it.each([
    ["multipart without a boundary", "multipart/form-data", "--x\r\n"],
    ["an empty boundary", "multipart/form-data; boundary=", "--\r\n"],
    ["garbage under a valid boundary", "multipart/form-data; boundary=abc", "\u0000\u0001 nothing multipart here"],
    ["only the closing delimiter", "multipart/form-data; boundary=abc", "--abc--\r\n"],
  ])("%s", async (_, contentType, body) => {
    const id = await newCampaign();
    const r = await api(`/api/campaigns/${id}/assets`, { token: alice, body, headers: { "content-type": contentType } });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error.code).toMatch(/VALIDATION_FAILED|UNSUPPORTED_MEDIA_TYPE/);
    await nothingLeft(id);
  });

  it("documents the asset endpoints in the OpenAPI document", async () => {
    const doc = (await api("/api/openapi.json")).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/campaigns/{id}/assets", "/api/assets/{id}", "/api/campaigns/{id}/assets/uploads"]),
    );
    expect(doc.components.schemas.Asset.required).toEqual(expect.arrayContaining(["id", "kind", "contentType", "size", "url"]));
  });
});

describe("serving", () => {
  let png: Buffer;
  let imageId: string;
  let videoId: string;
  let video: Buffer;
  beforeAll(async () => {
    png = await picture("png", 1000, 700);
    imageId = (await upload(campaignId, png, { token: alice })).body.id;
    video = await fixture("clip.mp4");
    videoId = (await upload(campaignId, video, { token: alice })).body.id;
  });

  it("are never resized by Next.js's own image endpoint (/_next/image): it refuses every URL with a 400", async () => {
    for (const url of [`/api/assets/${imageId}`, "/icon.svg", "https://example.com/a.png"]) {
      const { res } = await raw(`/_next/image?url=${encodeURIComponent(url)}&w=800&q=75`);
      expect(res.status, url).toBe(400);
    }
  });

  it("sends the detected type, nosniff, a strong ETag and CDN-fit caching; 304 on If-None-Match", async () => {
    const { res } = await raw(`/api/assets/${imageId}`);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toMatch(/^public, .*s-maxage=\d+/);
    const etag = res.headers.get("etag") as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await raw(`/api/assets/${imageId}`, { "if-none-match": etag });
    expect(again.res.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.res.headers.get("etag")).toBe(etag);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const res = await fetch(new URL(`/api/assets/${videoId}`, inject("baseUrl")), { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers Range requests with 206 so videos seek, and 416 past the end", async () => {
    const first = await raw(`/api/assets/${videoId}`, { range: "bytes=0-99" });
    expect(first.res.status).toBe(206);
    expect(first.res.headers.get("content-range")).toBe(`bytes 0-99/${video.length}`);
    expect(Buffer.compare(first.bytes, video.subarray(0, 100))).toBe(0);
    const tail = await raw(`/api/assets/${videoId}`, { range: "bytes=-10" });
    expect(Buffer.compare(tail.bytes, video.subarray(video.length - 10))).toBe(0);
    const open = await raw(`/api/assets/${videoId}`, { range: `bytes=${video.length - 5}-` });
    expect(open.res.status).toBe(206);
    expect(open.bytes.length).toBe(5);
    const past = await raw(`/api/assets/${videoId}`, { range: `bytes=${video.length}-` });
    expect(past.res.status).toBe(416);
    expect(past.res.headers.get("content-range")).toBe(`bytes */${video.length}`);
    const whole = await raw(`/api/assets/${videoId}`);
    expect(whole.res.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.res.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.compare(whole.bytes, video)).toBe(0);
  });

  it("makes resized AVIF/WebP variants once and keeps them in storage", async () => {
    const avif = await raw(`/api/assets/${imageId}?variant=thumb`, { accept: "image/avif,image/webp,*/*" });
    expect(avif.res.status).toBe(200);
    expect(avif.res.headers.get("content-type")).toBe("image/avif");
    expect(avif.res.headers.get("vary")).toMatch(/\bAccept\b/);
    expect((await sharp(avif.bytes).metadata()).width).toBe(320);
    const webp = await raw(`/api/assets/${imageId}?variant=card`, { accept: "image/webp,*/*" });
    expect(webp.res.headers.get("content-type")).toBe("image/webp");
    expect((await sharp(webp.bytes).metadata()).width).toBe(800);
    // hero is 1600 wide at most, never enlarged
    const hero = await raw(`/api/assets/${imageId}?variant=hero&format=webp`);
    expect((await sharp(hero.bytes).metadata()).width).toBe(1000);
    const stored = await filesUnder(path.join(inject("assetDir"), "c", campaignId));
    expect(stored.filter((f) => f.startsWith(`${imageId}.png.v`)).sort()).toEqual([
      `${imageId}.png.v1-card.webp`,
      `${imageId}.png.v1-hero.webp`,
      `${imageId}.png.v1-thumb.avif`,
    ]);
    const etag = avif.res.headers.get("etag") as string;
    const second = await raw(`/api/assets/${imageId}?variant=thumb`, { accept: "image/avif", "if-none-match": etag });
    expect(second.res.status).toBe(304);
    const bad = await api(`/api/assets/${imageId}?variant=giant`);
    expect(bad.status).toBe(400);
    expect((await api(`/api/assets/${videoId}?variant=thumb`)).status).toBe(400);
  });

  it("answers 404 for unknown and malformed asset IDs", async () => {
    expect((await api("/api/assets/0190f1d2-0000-7000-8000-000000000000")).status).toBe(404);
    expect((await api("/api/assets/nope")).body.error.code).toBe("ASSET_NOT_FOUND");
  });

  it("keeps a draft's assets private to its creator", async () => {
    const draft = await newCampaign({ status: "draft" });
    const r = await upload(draft, await picture(), { token: alice });
    expect(r.status).toBe(201);
    expect((await api(r.body.url)).status).toBe(404);
    expect((await api(r.body.url, { token: bob })).status).toBe(404);
    expect((await api(`/api/campaigns/${draft}/assets`, { token: bob })).status).toBe(404);
    const mine = await api(r.body.url, { token: alice });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("cache-control")).toMatch(/^private/);
    await api(`/api/campaigns/${draft}`, { method: "PATCH", token: alice, json: { status: "active" } });
    await waitFor(
      async () => (await api(r.body.url)).status,
      (s) => s === 200,
    );
  });
});

describe("managing", () => {
  it("reorders a campaign's assets (the first is the cover) and refuses a partial order", async () => {
    const id = await newCampaign();
    const ids: string[] = [];
    for (const w of [30, 40, 50]) ids.push((await upload(id, await picture("png", w, 20), { token: alice })).body.id);
    const reversed = [...ids].reverse();
    const r = await api(`/api/campaigns/${id}/assets`, { method: "PATCH", token: alice, json: { order: reversed } });
    expect(r.status).toBe(200);
    expect(r.body.items.map((a: { id: string }) => a.id)).toEqual(reversed);
    const c = await api(`/api/campaigns/${id}`);
    expect(c.body.assets.map((a: { id: string }) => a.id)).toEqual(reversed);
    const partial = await api(`/api/campaigns/${id}/assets`, { method: "PATCH", token: alice, json: { order: ids.slice(1) } });
    expect(partial.status).toBe(400);
    const dup = await api(`/api/campaigns/${id}/assets`, {
      method: "PATCH",
      token: alice,
      json: { order: [ids[0], ids[0], ids[1]] },
    });
    expect(dup.status).toBe(400);
    const other = await api(`/api/campaigns/${id}/assets`, { method: "PATCH", token: bob, json: { order: ids } });
    expect(other.status).toBe(403);
    expect((await api(`/api/campaigns/${id}/assets`)).body.items.map((a: { id: string }) => a.id)).toEqual(reversed);
  });

  it("deletes an asset for its creator only: row, object and variants go; positions close up", async () => {
    const id = await newCampaign();
    const a = (await upload(id, await picture("png", 50, 50), { token: alice })).body;
    const b = (await upload(id, await picture("png", 60, 60), { token: alice })).body;
    await raw(`${a.url}?variant=thumb&format=webp`);
    expect((await api(a.url, { method: "DELETE", token: bob })).status).toBe(403);
    expect((await api(a.url, { method: "DELETE" })).status).toBe(401);
    const del = await api(a.url, { method: "DELETE", token: alice });
    expect(del.status).toBe(204);
    expect((await api(a.url, { method: "DELETE", token: alice })).status).toBe(404);
    await waitFor(
      async () => (await api(a.url)).status,
      (s) => s === 404,
    );
    const left = await api(`/api/campaigns/${id}/assets`);
    expect(left.body.items).toEqual([expect.objectContaining({ id: b.id, position: 0 })]);
    expect(await filesUnder(path.join(inject("assetDir"), "c", id))).toEqual([`${b.id}.png`]);
  });

  it("refuses more than ASSET_MAX_PER_CAMPAIGN (20) assets with a 409, and takes one again after a removal", async () => {
    const id = await newCampaign();
    const png = await picture("png", 16, 16);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await upload(id, png, { token: alice })).body.id);
    const full = await upload(id, png, { token: alice });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe("ASSET_LIMIT_REACHED");
    expect((await traces(id)).rows).toBe(20);
    expect((await api(`/api/assets/${ids[3]}`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await upload(id, png, { token: alice })).status).toBe(201);
  });

  it("refuses changes to an ended campaign's assets (409)", async () => {
    const id = await newCampaign();
    const a = (await upload(id, await picture(), { token: alice })).body;
    await api(`/api/campaigns/${id}`, { method: "PATCH", token: alice, json: { status: "ended" } });
    expect((await upload(id, await picture(), { token: alice })).body.error.code).toBe("CAMPAIGN_CLOSED");
    expect((await api(a.url, { method: "DELETE", token: alice })).status).toBe(409);
    expect((await api(a.url)).status).toBe(200);
  });

  it("offers the multipart route for uploads when the storage has no presigned uploads (disk)", async () => {
    const id = await newCampaign();
    const r = await api(`/api/campaigns/${id}/assets/uploads`, {
      token: alice,
      json: { size: 1_500_000, contentType: "video/mp4" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ method: "POST", url: `/api/campaigns/${id}/assets`, headers: {}, completeUrl: null });
    const tooBig = await api(`/api/campaigns/${id}/assets/uploads`, { token: alice, json: { size: 3 * 1024 * 1024 } });
    expect(tooBig.status).toBe(413);
    expect((await api(`/api/campaigns/${id}/assets/uploads`, { token: bob, json: { size: 10 } })).status).toBe(403);
  });
});
