import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { spoolMultipart } from "./spool";

const limits = { image: 64 * 1024, video: 256 * 1024 };
const boundary = "----cfTestBoundary7MA4YWxkTrZu0gW";

function part(name: string, filename: string, type: string, data: Buffer) {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
    ),
    data,
    Buffer.from("\r\n"),
  ]);
}
const end = Buffer.from(`--${boundary}--\r\n`);

function request(body: Buffer | ReadableStream<Uint8Array>, contentType = `multipart/form-data; boundary=${boundary}`) {
  return new Request("http://x/upload", {
    method: "POST",
    headers: { "content-type": contentType },
    body,
    duplex: "half",
  } as RequestInit);
}

const png = () =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: "#3a7" } })
    .png()
    .toBuffer();
const leftovers = async () => (await readdir(tmpdir())).filter((f) => f.startsWith("cf-upload-")).length;

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("spoolMultipart", () => {
  it("streams the file field to a temporary file with its detected type, size and SHA-256", async () => {
    const data = await png();
    const before = await leftovers();
    const s = await spoolMultipart(
      request(Buffer.concat([part("file", "x.bin", "application/octet-stream", data), end])),
      limits,
    );
    expect(s.type).toEqual({ kind: "image", mime: "image/png", ext: "png" });
    expect(s.size).toBe(data.length);
    expect(s.sha256).toBe(createHash("sha256").update(data).digest("hex"));
    expect(Buffer.compare(await readFile(s.path), data)).toBe(0);
    await s.cleanup();
    expect(await leftovers()).toBe(before);
  });

  it("refuses text disguised as a .png with image/png (415) and keeps nothing", async () => {
    const before = await leftovers();
    const body = Buffer.concat([part("file", "cat.png", "image/png", Buffer.from("<?php echo 'hi'; ?>\n".repeat(400))), end]);
    const err = await refusal(spoolMultipart(request(body), limits));
    expect(err.status).toBe(415);
    expect(await leftovers()).toBe(before);
  });

  it("refuses a file over its kind's limit (413) while it streams", async () => {
    const big = await sharp({
      create: { width: 400, height: 400, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 60 } },
    })
      .png()
      .toBuffer();
    expect(big.length).toBeGreaterThan(limits.image);
    const before = await leftovers();
    const err = await refusal(spoolMultipart(request(Buffer.concat([part("file", "a.png", "image/png", big), end])), limits));
    expect(err.status).toBe(413);
    expect(await leftovers()).toBe(before);
  });

  it("refuses a body that ends mid-file and keeps nothing", async () => {
    const data = await png();
    const whole = Buffer.concat([part("file", "a.png", "image/png", data), end]);
    const cut = whole.subarray(0, whole.length - end.length - data.length / 2);
    const before = await leftovers();
    const err = await refusal(spoolMultipart(request(cut), limits));
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(await leftovers()).toBe(before);
  });

  it("refuses a stream that errors (client gone) and keeps nothing", async () => {
    const data = await png();
    const first = part("file", "a.png", "image/png", data).subarray(0, 200);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(first);
        setTimeout(() => c.error(new Error("socket hang up")), 20);
      },
    });
    const before = await leftovers();
    await refusal(spoolMultipart(request(stream), limits));
    expect(await leftovers()).toBe(before);
  });

  it("refuses a declared length over every limit before reading the body (413)", async () => {
    const req = new Request("http://x/upload", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(10 * 1024 * 1024) },
      body: new ReadableStream({ pull: () => new Promise(() => {}) }), // would never end if read
      duplex: "half",
    } as RequestInit);
    expect((await refusal(spoolMultipart(req, limits))).status).toBe(413);
  });

  it("answers 400 without a file field and 415 for a body that is not multipart", async () => {
    const noFile = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n--${boundary}--\r\n`,
    );
    expect((await refusal(spoolMultipart(request(noFile), limits))).status).toBe(400);
    expect((await refusal(spoolMultipart(request(await png(), "image/png"), limits))).status).toBe(415);
    expect((await refusal(spoolMultipart(request(Buffer.alloc(0)), limits))).status).toBe(400);
    const empty = Buffer.concat([part("file", "a.png", "image/png", Buffer.alloc(0)), end]);
    expect((await refusal(spoolMultipart(request(empty), limits))).status).toBe(400);
  });
});
