/**
 * The asset service under one big upload and its first reads: streams an --mb MB MP4 (a real clip
 * padded with filler) through POST /api/campaigns/{id}/assets of the production build on disk storage,
 * sampling the server's resident memory every 50 ms, then times a picture's hero variant made on the
 * first request against the same variant served from storage. Prints figures; it never asserts.
 *
 *   npm run bench:upload -- [--mb 190]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { openDb } from "@/db/client";
import { createApiToken } from "@/lib/auth/tokens";
import { findUserByEmail } from "@/lib/users";
import { startApp } from "@/tests/support/env";
import { buildIfStale } from "../scripts/build-if-stale";
import { benchDatabase, machine, root, say } from "./support";

const { values } = parseArgs({ options: { mb: { type: "string", default: "190" } } });
const MB = Number(values.mb);

buildIfStale(say);
const db = await benchDatabase("upload");
const dir = await mkdtemp(path.join(tmpdir(), "cf-bench-assets-"));
const app = await startApp(db.url, { ASSET_DIR: dir, ASSET_MAX_VIDEO_BYTES: String((MB + 1) * 1024 * 1024), LOG_LEVEL: "error" });
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${app.process.pid}/status`, "utf8"))?.[1]) / 1024;
try {
  const h = openDb(db.url, 1);
  const alice = await findUserByEmail(h.db, "alice@example.com");
  if (!alice) throw new Error("no demo user");
  const { token } = await createApiToken(h.db, { userId: alice.id, name: "bench" });
  await h.sql.end();
  const auth = { authorization: `Bearer ${token}` };
  const c = (await (
    await fetch(`${app.baseUrl}/api/campaigns`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ title: "Upload bench", story: "x", goalAmount: 1000, currency: "EUR" }),
    })
  ).json()) as { id: string };

  // 1. one big video, streamed
  const mp4 = readFileSync(path.join(root, "tests/fixtures/clip.mp4"));
  const total = MB * 1024 * 1024;
  const boundary = "----cfbench";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 50);
  const t0 = performance.now();
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${app.baseUrl}/api/campaigns/${c.id}/assets`,
      {
        method: "POST",
        headers: {
          ...auth,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(head.length + total + tail.length),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.write(head);
    req.write(mp4);
    let sent = mp4.length;
    const filler = Buffer.alloc(1024 * 1024, 7);
    const pump = () => {
      while (sent < total) {
        const n = Math.min(filler.length, total - sent);
        sent += n;
        if (!req.write(n === filler.length ? filler : filler.subarray(0, n))) return void req.once("drain", pump);
      }
      req.end(tail);
    };
    pump();
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  say(
    `upload of ${MB} MB: HTTP ${status} in ${seconds.toFixed(2)} s; server RSS ${Math.round(before)} MB before, ${Math.round(peak)} MB at peak`,
  );

  // 2. a 12-megapixel picture's hero variant: made on the first request, then read from storage
  const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: "#557" } })
    .composite([
      { input: Buffer.from('<svg width="4000" height="3000"><circle cx="2000" cy="1500" r="1200" fill="#fc0"/></svg>') },
    ])
    .jpeg({ quality: 85 })
    .toBuffer();
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(photo)]), "photo.jpg");
  const up = (await (
    await fetch(`${app.baseUrl}/api/campaigns/${c.id}/assets`, { method: "POST", headers: auth, body: form })
  ).json()) as {
    url: string;
  };
  const rows: string[] = [];
  for (const format of ["webp", "avif"]) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await fetch(`${app.baseUrl}${up.url}?variant=hero&format=${format}`);
      await r.arrayBuffer();
      times.push(performance.now() - t);
    }
    rows.push(`| ${format} | ${times[0]?.toFixed(0)} ms | ${times[1]?.toFixed(0)} ms | ${times[2]?.toFixed(0)} ms |`);
  }
  console.log(`\n${machine()}; ${MB} MB upload and a 4000×3000 JPEG (${Math.round(photo.length / 1024)} KB)\n`);
  console.log("| hero variant | first request (made with sharp) | second (from storage) | third |");
  console.log("| --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
} finally {
  await app.stop();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
}
