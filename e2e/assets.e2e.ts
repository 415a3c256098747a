import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import sharp from "sharp";
import { createCampaign as createNewCampaign } from "./helpers";

const fixture = (name: string) => readFile(path.resolve(import.meta.dirname, "../tests/fixtures", name));

const photo = (color: string, width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: color } })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#fff"/></svg>`,
        ),
      },
    ])
    .jpeg()
    .toBuffer();

const createCampaign = (page: Page, title: string) =>
  createNewCampaign(page, title, { story: "A new roof before winter, with pictures of the damage.", goal: "5000" });

test("a creator adds a picture and a short video; a visitor sees them, the second view from cache", async ({ browser }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  const url = await createCampaign(page, "Roof for the village hall");
  await page.getByRole("link", { name: "Edit the campaign" }).click();
  await expect(page).toHaveURL(/\/edit$/);
  const picker = page.locator('input[type="file"]');

  // a text file dressed up as a picture is refused with the server's reason, and nothing is added
  await picker.setInputFiles({
    name: "roof.png",
    mimeType: "image/png",
    buffer: Buffer.from("just some text, not a picture\n".repeat(200)),
  });
  await expect(page.locator(".form-error")).toContainText(/roof.png: Upload a JPEG, PNG, WebP, GIF or AVIF/);
  await expect(page.getByTestId("asset-item")).toHaveCount(0);

  // a picture and a short video, chosen together
  await picker.setInputFiles([
    { name: "roof.jpg", mimeType: "image/jpeg", buffer: await photo("#8a4b2a", 1200, 800) },
    { name: "storm.webm", mimeType: "video/webm", buffer: await fixture("clip.webm") },
  ]);
  await expect(page.getByTestId("asset-item")).toHaveCount(2);
  await expect(page.getByTestId("asset-item").first()).toContainText("image/jpeg");
  await expect(page.getByTestId("asset-item").nth(1)).toContainText("video/webm");
  await expect(page.getByTestId("asset-item").first().getByText("Cover", { exact: true })).toBeVisible();

  // a second picture, moved to the front (the new cover), then removed again
  await picker.setInputFiles({ name: "crew.jpg", mimeType: "image/jpeg", buffer: await photo("#2a5b8a", 800, 600) });
  await expect(page.getByTestId("asset-item")).toHaveCount(3);
  await page.getByRole("button", { name: "Move Picture 3 up" }).click();
  await page.getByRole("button", { name: "Move Picture 2 up" }).click();
  await expect(page.getByTestId("asset-item").first()).toContainText("800×600");
  await page.getByRole("button", { name: "Remove Picture 1" }).click();
  await expect(page.getByTestId("asset-item")).toHaveCount(2);
  await expect(page.getByTestId("asset-item").first()).toContainText("1200×800");
  await alice.close();

  // a visitor sees the cover picture and can play the video
  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const visitor = await bob.newPage();
  const assetResponses: { url: string; status: number; cacheControl?: string; etag?: string }[] = [];
  visitor.on("response", (r) => {
    if (r.url().includes("/api/assets/"))
      assetResponses.push({
        url: r.url(),
        status: r.status(),
        cacheControl: r.headers()["cache-control"],
        etag: r.headers().etag,
      });
  });
  await visitor.goto(url);
  const cover = visitor.getByRole("img", { name: /Cover picture of Roof for the village hall/ });
  await expect(cover).toBeVisible();
  await expect.poll(() => cover.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  expect(await cover.evaluate((img: HTMLImageElement) => img.currentSrc)).toMatch(
    /\/api\/assets\/[0-9a-f-]{36}\?variant=(card|hero)$/,
  );
  const video = visitor.getByRole("region", { name: "Pictures and videos" }).locator("video");
  await expect(video).toHaveCount(1);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  expect(await video.evaluate((v: HTMLVideoElement) => Math.round(v.duration))).toBe(1);
  // served for shared caches with a strong ETag
  expect(assetResponses.length).toBeGreaterThan(0);
  for (const r of assetResponses.filter((r) => r.status === 200 || r.status === 206)) {
    expect(r.cacheControl).toMatch(/^public, max-age=\d+, s-maxage=\d+/);
    expect(r.etag).toMatch(/^"/);
  }

  // the second view: every asset comes from the browser's cache or as a 304, none is sent again
  const second = await bob.newPage();
  const cdp = await bob.newCDPSession(second);
  await cdp.send("Network.enable");
  const fromCache = new Set<string>();
  const fetched: { url: string; status: number }[] = [];
  const ids = new Map<string, string>();
  cdp.on("Network.requestWillBeSent", (e) => ids.set(e.requestId, e.request.url));
  cdp.on("Network.requestServedFromCache", (e) => fromCache.add(e.requestId));
  cdp.on("Network.responseReceived", (e) => {
    if (!e.response.url.includes("/api/assets/")) return;
    if (e.response.fromDiskCache || fromCache.has(e.requestId)) fromCache.add(e.requestId);
    else fetched.push({ url: e.response.url, status: e.response.status });
  });
  await second.goto(url);
  await expect(second.getByRole("img", { name: /Cover picture/ })).toBeVisible();
  await expect
    .poll(() => second.getByRole("img", { name: /Cover picture/ }).evaluate((img: HTMLImageElement) => img.complete))
    .toBe(true);
  const assetRequests = [...ids.entries()].filter(([, u]) => u.includes("/api/assets/"));
  expect(assetRequests.length).toBeGreaterThan(0);
  for (const f of fetched) expect([304, 206], f.url).toContain(f.status); // a video may re-fetch a range
  expect(fetched.filter((f) => f.status === 200)).toEqual([]);

  // revalidation with the ETag answers 304 without a body
  const first = assetResponses.find((r) => r.etag && r.url.includes("variant="));
  if (!first) throw new Error("no image variant was loaded");
  const revalidated = await visitor.request.get(first.url, {
    headers: { "if-none-match": first.etag as string, accept: "image/avif,image/webp" },
  });
  expect(revalidated.status()).toBe(304);
  await bob.close();
});
