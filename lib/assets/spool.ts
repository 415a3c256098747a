import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import busboy from "busboy";
import { AppError } from "@/lib/errors";
import { SNIFF_BYTES, sniff } from "./sniff";
import type { AssetKind, DetectedType } from "./types";

export interface Limits {
  image: number;
  video: number;
}

/** An upload written to a private temporary file, already checked for type and size. */
export interface Spooled {
  path: string;
  size: number;
  sha256: string;
  type: DetectedType;
  cleanup(): Promise<void>;
}

const mb = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

export function tooLarge(kind: AssetKind, limits: Limits): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `A ${kind} may be at most ${mb(limits[kind])}`, [
    { field: "file", message: `larger than ${limits[kind]} bytes` },
  ]);
}

export function unsupportedType(): AppError {
  return new AppError("UNSUPPORTED_MEDIA_TYPE", "Upload a JPEG, PNG, WebP, GIF or AVIF picture, or an MP4 or WebM video", [
    { field: "file", message: "its contents are not an accepted picture or video" },
  ]);
}

/**
 * The checks a stream of file bytes must pass on its way to disk: the type from its first
 * 4,100 bytes, the size limit of that kind as the bytes arrive, and a SHA-256 of all of them.
 */
export class Inspector extends Transform {
  private head: Buffer[] = [];
  private headSize = 0;
  type?: DetectedType;
  size = 0;
  private readonly hash = createHash("sha256");

  constructor(private readonly limits: Limits) {
    super();
  }

  get sha256() {
    return this.hash.digest("hex");
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    if (this.type) return this.pass(chunk, done);
    this.head.push(chunk);
    this.headSize += chunk.length;
    if (this.headSize < SNIFF_BYTES) return done();
    this.decide().then(() => done(), done);
  }

  override _flush(done: TransformCallback) {
    if (this.type) return done();
    if (this.headSize === 0)
      return done(new AppError("VALIDATION_FAILED", "The file is empty", [{ field: "file", message: "is empty" }]));
    this.decide().then(() => done(), done);
  }

  private async decide() {
    const head = Buffer.concat(this.head);
    this.head = [];
    const type = await sniff(head);
    if (!type) throw unsupportedType();
    this.type = type;
    await new Promise<void>((resolve, reject) => this.pass(head, (err) => (err ? reject(err) : resolve())));
  }

  private pass(chunk: Buffer, done: TransformCallback) {
    const type = this.type as DetectedType;
    this.size += chunk.length;
    if (this.size > this.limits[type.kind]) return done(tooLarge(type.kind, this.limits));
    this.hash.update(chunk);
    this.push(chunk);
    done();
  }
}

/** Stream `source` through an Inspector into a new private temporary file. */
export async function spoolStream(source: Readable, limits: Limits): Promise<Spooled> {
  const dir = await mkdtemp(path.join(tmpdir(), "cf-upload-"));
  const file = path.join(dir, "data");
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const inspector = new Inspector(limits);
  try {
    await pipeline(source, inspector, createWriteStream(file, { mode: 0o600 }));
    return { path: file, size: inspector.size, sha256: inspector.sha256, type: inspector.type as DetectedType, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

const incomplete = () =>
  new AppError("VALIDATION_FAILED", "The upload ended before the whole file arrived", [
    { field: "file", message: "is incomplete" },
  ]);

/**
 * Read a `multipart/form-data` request whose field `file` holds one picture or video,
 * streaming it to a temporary file (never the whole body in memory). Refuses early:
 * a wrong type after the first 4 KB (415), an oversize file as soon as it passes its
 * kind's limit (413). A client that disconnects or a body that ends mid-file leaves nothing.
 */
export async function spoolMultipart(req: Request, limits: Limits): Promise<Spooled> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType) || !req.body) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the file as multipart/form-data in the field `file`");
  }
  // A declared length far over the largest limit is refused before a byte is read (multipart overhead is small).
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > Math.max(limits.image, limits.video) + 64 * 1024) {
    throw new AppError("PAYLOAD_TOO_LARGE", `Uploads may be at most ${mb(Math.max(limits.image, limits.video))}`, [
      { field: "file", message: "larger than any accepted file" },
    ]);
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { "content-type": contentType },
      limits: { files: 1, fields: 10, parts: 20, fieldSize: 4096, fileSize: Math.max(limits.image, limits.video) + 1 },
    });
  } catch {
    throw new AppError("VALIDATION_FAILED", "The multipart body has no boundary", [{ field: "(body)", message: "malformed" }]);
  }
  const body = Readable.fromWeb(req.body as unknown as NodeWebStream<Uint8Array>);

  return new Promise<Spooled>((resolve, reject) => {
    let file: Readable | undefined;
    let result: Promise<Spooled> | undefined;
    let failed: unknown;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = err;
      body.unpipe(bb);
      body.destroy();
      // Stop the spool (it removes its own temporary file), or remove the finished one, then answer.
      file?.destroy(err instanceof Error ? err : new Error(String(err)));
      if (!result) return reject(err);
      result
        .then((s) => s.cleanup())
        .then(
          () => reject(err),
          () => reject(err),
        );
    };
    bb.on("file", (name, stream) => {
      if (name !== "file" || result) {
        stream.resume();
        return;
      }
      file = stream;
      stream.on("error", () => {}); // busboy may destroy it again after the pipeline settled; handled below
      // busboy truncates (rather than errors) at its own fileSize limit; the inspector refuses first
      result = spoolStream(stream, limits);
      result.catch((err) => fail(err));
    });
    bb.on("error", () => fail(incomplete()));
    body.on("error", () => fail(incomplete()));
    bb.on("close", () => {
      if (failed) return;
      if (!result) {
        return fail(
          new AppError("VALIDATION_FAILED", "Send the file in the field `file`", [{ field: "file", message: "is required" }]),
        );
      }
      result.then((s) => (failed ? undefined : resolve(s)), fail);
    });
    body.pipe(bb);
  });
}
