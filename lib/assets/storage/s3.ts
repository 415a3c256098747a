import { createReadStream } from "node:fs";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type AssetStorage, assertKey, ObjectChangedError } from "../types";

export interface S3Options {
  bucket: string;
  region: string;
  /** An S3-compatible service (MinIO, R2, Ceph…); unset → AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Prepended to every key, e.g. "crowdfund/". */
  prefix?: string;
}

const missing = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.name === "NoSuchKey" || err.name === "NotFound" || err.$metadata.httpStatusCode === 404);

/** An S3-compatible bucket through @aws-sdk/client-s3, with presigned PUTs for large direct uploads. */
export function s3Storage(o: S3Options): AssetStorage {
  const client = new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    credentials: o.credentials,
    // Checksums only where S3 requires them: many S3-compatible services refuse the SDK's newer default trailers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = o.bucket;
  const k = (key: string) => {
    assertKey(key);
    return `${o.prefix ?? ""}${key}`;
  };
  return {
    name: "s3",
    async put(key, src) {
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: k(key),
          Body: createReadStream(src.path),
          ContentLength: src.size,
          ContentType: src.contentType,
        }),
      );
    },
    async get(key, range) {
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket, Key: k(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
        );
        if (!res.Body) return undefined;
        const total = res.ContentRange ? Number(res.ContentRange.split("/")[1]) : res.ContentLength;
        return {
          body: res.Body.transformToWebStream() as ReadableStream<Uint8Array>,
          size: Number(total),
          ...(res.ETag ? { etag: res.ETag } : {}),
        };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: k(key) }));
    },
    async presignUpload(key, opts) {
      const url = await getSignedUrl(client, new PutObjectCommand({ Bucket, Key: k(key), ContentType: opts.contentType }), {
        expiresIn: opts.expiresInSeconds,
        signableHeaders: new Set(["content-type"]),
      });
      return { method: "PUT", url, headers: { "content-type": opts.contentType } };
    },
    async *list(prefix) {
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: `${o.prefix ?? ""}${prefix}`, ContinuationToken }),
        );
        for (const obj of page.Contents ?? []) {
          if (obj.Key) yield { key: obj.Key.slice((o.prefix ?? "").length), lastModified: obj.LastModified ?? new Date(0) };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
    async move(from, to, opts) {
      try {
        // CopySourceIfMatch: S3 copies only the version with this ETag (412 PreconditionFailed otherwise),
        // so what lands under `to` is exactly the object that was read and checked.
        await client.send(
          new CopyObjectCommand({ Bucket, Key: k(to), CopySource: `${Bucket}/${k(from)}`, CopySourceIfMatch: opts?.ifMatch }),
        );
      } catch (err) {
        if (
          opts?.ifMatch &&
          err instanceof S3ServiceException &&
          (err.name === "PreconditionFailed" || err.$metadata.httpStatusCode === 412)
        ) {
          throw new ObjectChangedError(from);
        }
        throw err;
      }
      await client.send(new DeleteObjectCommand({ Bucket, Key: k(from) }));
    },
  };
}
