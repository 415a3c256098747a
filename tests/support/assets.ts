import { readdir, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import sharp from "sharp";
import { inject } from "vitest";
import { openDb } from "@/db/client";
import { api, baseUrl } from "./http";

export const fixture = (name: string) => readFile(path.resolve(import.meta.dirname, "../fixtures", name));

/** A small picture made with sharp (a gradient-ish pattern so encoders have something to do). */
export async function picture(format: "png" | "jpeg" | "webp" | "gif" | "avif" = "png", width = 120, height = 80) {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .composite([
      { input: Buffer.from(`<svg width="${width}" height="${height}"><circle cx="30" cy="30" r="20" fill="#fc0"/></svg>`) },
    ])
    .toFormat(format)
    .toBuffer();
}

/** POST a file as multipart/form-data, field `file`, with whatever name and declared type the caller claims. */
export function upload(
  campaignId: string,
  data: Buffer,
  opts: { token?: string; cookie?: string; name?: string; type?: string; field?: string; base?: string } = {},
) {
  const form = new FormData();
  form.append(
    opts.field ?? "file",
    new Blob([new Uint8Array(data)], { type: opts.type ?? "application/octet-stream" }),
    opts.name ?? "upload.bin",
  );
  return api(`/api/campaigns/${campaignId}/assets`, {
    method: "POST",
    body: form,
    token: opts.token,
    cookie: opts.cookie,
    base: opts.base,
  });
}

/** Every file under `dir` (relative paths); [] when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** What an upload may leave behind: asset rows of the campaign, objects on disk, the app's temporary files. */
export async function traces(campaignId: string) {
  const { sql } = openDb(inject("databaseUrl"), 1);
  try {
    const rows = await sql`select id from assets where campaign_id = ${campaignId}`;
    return {
      rows: rows.length,
      objects: (await filesUnder(path.join(inject("assetDir"), "c", campaignId))).length,
      temp: (await readdir(inject("appTmpDir"))).filter((f) => f.startsWith("cf-")).length,
    };
  } finally {
    await sql.end();
  }
}

export const multipartHead = (boundary: string, name = "photo.png", type = "image/png") =>
  Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`,
  );

/**
 * Send the start of a multipart upload over a raw socket, then either end the body early
 * ("truncated": the request completes without the rest of the file) or cut the connection.
 */
export function partialUpload(
  campaignId: string,
  token: string,
  first: Buffer,
  how: "truncated" | "disconnect",
  declaredLength: number,
): Promise<number | "disconnected"> {
  const boundary = "----cfPartial9x8y7z";
  const url = new URL(`/api/campaigns/${campaignId}/assets`, baseUrl());
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          ...(how === "disconnect" ? { "content-length": String(declaredLength) } : {}),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", (err) => (how === "disconnect" ? resolve("disconnected") : reject(err)));
    req.write(Buffer.concat([multipartHead(boundary), first]));
    if (how === "truncated") req.end();
    else setTimeout(() => req.destroy(), 300);
  });
}
