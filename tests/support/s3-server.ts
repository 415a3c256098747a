/**
 * A local server speaking the S3 REST protocol (path-style), so the real
 * @aws-sdk/client-s3 and its presigner are tested offline. Hand-written: the npm
 * S3 fakes are unmaintained (s3rver's last release is from 2021) and none checks
 * signatures. This one verifies AWS Signature V4 on every request — the
 * Authorization header (signed payload hashes are checked against the body) and
 * presigned query strings (with expiry) — and answers S3's XML errors.
 * Subset: PutObject (also aws-chunked bodies), GetObject (Range), HeadObject,
 * DeleteObject, CopyObject (with x-amz-copy-source-if-match), ListObjectsV2 (prefix, max-keys, continuation). Objects are kept in memory.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface S3Object {
  data: Buffer;
  contentType: string;
  etag: string;
  /** Tests may backdate it. */
  lastModified: Date;
}

export interface FakeS3 {
  url: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  objects: Map<string, S3Object>;
  requests: { method: string; key: string; auth: "header" | "query" }[];
  /**
   * Runs when a CopyObject request has arrived, before it is carried out (tests replace the source here to
   * play a client that PUTs again between the app's check and its copy).
   */
  beforeCopy?: (from: string, to: string) => void | Promise<void>;
  close(): Promise<void>;
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function xmlError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER): "hex-size\r\ndata\r\n" … "0\r\n" trailers "\r\n". */
function decodeAwsChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", pos);
    if (eol < 0) throw new Error("bad aws-chunked body");
    const size = Number.parseInt(body.toString("latin1", pos, eol).split(";")[0] as string, 16);
    pos = eol + 2;
    if (size === 0) return Buffer.concat(out);
    out.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
}

export async function startFakeS3(opts: { bucket?: string; region?: string } = {}): Promise<FakeS3> {
  const bucket = opts.bucket ?? "crowdfund-assets";
  const region = opts.region ?? "us-east-1";
  const credentials = { accessKeyId: "AKIATESTFAKES3", secretAccessKey: "fake-s3-secret-key-for-the-test-suite" };
  const objects = new Map<string, S3Object>();
  const requests: FakeS3["requests"] = [];

  function verify(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
  ): { ok: true; auth: "header" | "query" } | { ok: false; code: string; message: string } {
    const q = url.searchParams;
    const presigned = q.has("X-Amz-Signature");
    let credential: string;
    let signedHeaders: string;
    let signature: string;
    let amzDate: string;
    let payloadHash: string;
    if (presigned) {
      credential = q.get("X-Amz-Credential") ?? "";
      signedHeaders = q.get("X-Amz-SignedHeaders") ?? "";
      signature = q.get("X-Amz-Signature") ?? "";
      amzDate = q.get("X-Amz-Date") ?? "";
      payloadHash = "UNSIGNED-PAYLOAD";
      const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
      const signedAt = d ? Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!) : Number.NaN;
      if (!(signedAt + Number(q.get("X-Amz-Expires")) * 1000 > Date.now()))
        return { ok: false, code: "AccessDenied", message: "Request has expired" };
    } else {
      const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
        req.headers.authorization ?? "",
      );
      if (!m) return { ok: false, code: "AccessDenied", message: "Anonymous access is not allowed" };
      [, credential, signedHeaders, signature] = m as unknown as [string, string, string, string];
      amzDate = String(req.headers["x-amz-date"] ?? "");
      payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
      if (/^[0-9a-f]{64}$/.test(payloadHash) && sha256(body) !== payloadHash) {
        return { ok: false, code: "XAmzContentSHA256Mismatch", message: "The provided x-amz-content-sha256 does not match" };
      }
    }
    const [akid, date, reg, service, term] = credential.split("/");
    if (akid !== credentials.accessKeyId) return { ok: false, code: "InvalidAccessKeyId", message: "Unknown access key" };
    if (reg !== region || service !== "s3" || term !== "aws4_request")
      return { ok: false, code: "AuthorizationHeaderMalformed", message: "Bad scope" };
    const query = [...q.entries()]
      .filter(([k]) => k !== "X-Amz-Signature")
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const names = signedHeaders.split(";");
    if (!names.includes("host")) return { ok: false, code: "AccessDenied", message: "host must be signed" };
    const headers = names
      .map(
        (n) =>
          `${n}:${String(req.headers[n] ?? "")
            .trim()
            .replace(/\s+/g, " ")}\n`,
      )
      .join("");
    const canonical = [req.method, url.pathname, query, headers, signedHeaders, payloadHash].join("\n");
    const scope = `${date}/${region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date as string), region), "s3"), "aws4_request");
    const expected = Buffer.from(hmac(key, toSign).toString("hex"));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return {
        ok: false,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided",
      };
    }
    return { ok: true, auth: presigned ? "query" : "header" };
  }

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, b, ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    if (b !== bucket) return xmlError(res, 404, "NoSuchBucket", "The specified bucket does not exist");
    const v = verify(req, url, body);
    if (!v.ok) return xmlError(res, 403, v.code, v.message);
    requests.push({ method: req.method ?? "", key, auth: v.auth });
    if (!key && req.method === "GET" && url.searchParams.get("list-type") === "2") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const max = Number(url.searchParams.get("max-keys") ?? "1000");
      const after = url.searchParams.get("continuation-token") ?? "";
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = keys.slice(0, max);
      const truncated = keys.length > page.length;
      const contents = page
        .map((k) => {
          const o = objects.get(k) as S3Object;
          return `<Contents><Key>${k}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${o.etag}</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join("");
      res.writeHead(200, { "content-type": "application/xml" });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${truncated ? `<NextContinuationToken>${page.at(-1)}</NextContinuationToken>` : ""}</ListBucketResult>`,
      );
    }
    if (!key) return xmlError(res, 400, "InvalidRequest", "Bucket operations are not supported here");
    const method = req.method;
    if (method === "PUT") {
      const copy = req.headers["x-amz-copy-source"];
      if (typeof copy === "string") {
        const from = decodeURIComponent(copy.replace(/^\//, "")).slice(bucket.length + 1);
        await fake.beforeCopy?.(from, key);
        const src = objects.get(from);
        if (!src) return xmlError(res, 404, "NoSuchKey", "The specified key does not exist.");
        const ifMatch = req.headers["x-amz-copy-source-if-match"];
        if (typeof ifMatch === "string" && ifMatch !== src.etag) {
          return xmlError(res, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        }
        objects.set(key, { ...src, lastModified: new Date() });
        res.writeHead(200, { "content-type": "application/xml" });
        return res.end(
          `<CopyObjectResult><ETag>${src.etag}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyObjectResult>`,
        );
      }
      if (
        String(req.headers["content-encoding"] ?? "").includes("aws-chunked") ||
        String(req.headers["x-amz-content-sha256"]).startsWith("STREAMING-")
      ) {
        body = decodeAwsChunked(body);
      }
      const etag = `"${createHash("md5").update(body).digest("hex")}"`;
      objects.set(key, {
        data: body,
        contentType: String(req.headers["content-type"] ?? "binary/octet-stream"),
        etag,
        lastModified: new Date(),
      });
      res.writeHead(200, { etag });
      return res.end();
    }
    const obj = objects.get(key);
    if (method === "DELETE") {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    if (method !== "GET" && method !== "HEAD") return xmlError(res, 405, "MethodNotAllowed", "Not supported here");
    if (!obj) {
      if (method === "HEAD") {
        res.writeHead(404);
        return res.end();
      }
      return xmlError(res, 404, "NoSuchKey", "The specified key does not exist.");
    }
    const headers: Record<string, string> = { "content-type": obj.contentType, etag: obj.etag, "accept-ranges": "bytes" };
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : obj.data.length - 1, obj.data.length - 1);
      if (start >= obj.data.length) return xmlError(res, 416, "InvalidRange", "The requested range is not satisfiable");
      const part = obj.data.subarray(start, end + 1);
      res.writeHead(206, {
        ...headers,
        "content-range": `bytes ${start}-${end}/${obj.data.length}`,
        "content-length": String(part.length),
      });
      return res.end(method === "HEAD" ? undefined : part);
    }
    res.writeHead(200, { ...headers, "content-length": String(obj.data.length) });
    res.end(method === "HEAD" ? undefined : obj.data);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const fake: FakeS3 = {
    url: `http://127.0.0.1:${port}`,
    bucket,
    region,
    credentials,
    objects,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return fake;
}

/** The app's configuration for storing assets in `s3` (ASSET_STORAGE=s3 and its connection settings). */
export function s3AppEnv(s3: FakeS3): Record<string, string> {
  return {
    ASSET_STORAGE: "s3",
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    S3_ENDPOINT: s3.url,
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
}
