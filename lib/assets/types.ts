/** What a campaign may show: pictures and short films, told apart by their bytes. */
export type AssetKind = "image" | "video";

export interface DetectedType {
  kind: AssetKind;
  /** The canonical MIME type we serve the bytes as. */
  mime: string;
  ext: string;
}

/** Inclusive byte range, as in HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  body: ReadableStream<Uint8Array>;
  /** Size of the whole object (not of the range). */
  size: number;
  /**
   * The version of the object these bytes are (S3's ETag), when the adapter knows it: `move` with
   * `ifMatch` moves exactly this version or nothing.
   */
  etag?: string;
}

/** `move` found the source object replaced since it was read (its ETag no longer matches `ifMatch`). */
export class ObjectChangedError extends Error {
  constructor(key: string) {
    super(`the object ${key} changed since it was read`);
    this.name = "ObjectChangedError";
  }
}

/**
 * Whether `err` is an ObjectChangedError, told by its name: the storage may come from another copy of this
 * module than the caller's (lib/app: `npm start`'s launcher and the Next.js bundle each load one), where
 * `instanceof` answers false.
 */
export function isObjectChanged(err: unknown): boolean {
  return err instanceof Error && err.name === "ObjectChangedError";
}

export interface DirectUpload {
  method: "PUT";
  url: string;
  /** Headers the client must send with exactly these values (they are signed). */
  headers: Record<string, string>;
}

/**
 * Object storage behind the asset service (docs/architecture.md, deployment modes): one adapter per column
 * (disk, S3-compatible, UploadThing), all passing tests/contract/asset-storage.test.ts.
 * Keys are ours (`c/{campaignId}/{assetId}`…), made of [A-Za-z0-9/._-] only.
 */
export interface AssetStorage {
  readonly name: "disk" | "s3" | "uploadthing";
  /** Store the local file `path` (of `size` bytes) under `key`; resolves once the object is durable. */
  put(key: string, file: { path: string; size: number; contentType: string }): Promise<void>;
  /** The object, or a byte range of it (the range must lie inside it); undefined when there is no such object. */
  get(key: string, range?: ByteRange): Promise<StoredObject | undefined>;
  /** Remove the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** A URL the browser may upload `key` to directly (large files skip the app); absent when unsupported. */
  presignUpload?(key: string, opts: { contentType: string; size: number; expiresInSeconds: number }): Promise<DirectUpload>;
  /**
   * Move an object to a new key (after a direct upload was checked). With `ifMatch` (an `etag` from `get`)
   * the move is of that version only, atomically on the storage's side: a source replaced meanwhile throws
   * ObjectChangedError and nothing is moved.
   */
  move?(from: string, to: string, opts?: { ifMatch?: string }): Promise<void>;
  /** Every object whose key starts with `prefix` (for the orphan sweep), with when it was written. */
  list(prefix: string): AsyncIterable<{ key: string; lastModified: Date }>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9/._-]{0,250}$/;

/** Refuse keys that could escape a directory or confuse a bucket. */
export function assertKey(key: string): void {
  if (!KEY.test(key) || key.includes("..") || key.includes("//") || key.endsWith("/")) {
    throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  }
}
