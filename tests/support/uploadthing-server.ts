/**
 * A local server speaking UploadThing's v7 protocol, so the real `uploadthing` SDK (UTApi
 * and the route handler) is tested offline. Hand-written from the SDK's own requests.
 * It plays the three hosts the SDK talks to:
 *  - ingest: `PUT /{fileKey}?…&signature=hmac-sha256=…` (URLs presigned with the API key; the
 *    signature and expiry are checked) with a multipart `file`; `POST /route-metadata` (the
 *    route handler registering a browser upload) and `POST /callback-result`;
 *  - after an upload registered by a route handler, the callback to the app: the payload
 *    signed like UploadThing signs it (`x-uploadthing-signature: hmac-sha256=<hex>` over the
 *    body, keyed with the API key), `uploadthing-hook: callback`;
 *  - the file host `GET /a/{appId}/f/{key or customId}` (Range too) and the API's
 *    `POST /v6/deleteFiles` and `POST /v6/listFiles`.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

export interface UtFile {
  key: string;
  customId: string | null;
  name: string;
  type: string;
  data: Buffer;
  /** Tests may backdate it. */
  uploadedAt: number;
}

export interface FakeUploadThing {
  url: string;
  /** `localhost:PORT`: UPLOADTHING_UFS_HOST for the adapter (a "local" host is served over http). */
  ufsHost: string;
  token: string;
  apiKey: string;
  appId: string;
  files: Map<string, UtFile>;
  callbacks: { status: number; body: unknown }[];
  /** Sign a payload as UploadThing does (for forged-callback tests, pass another secret). */
  sign(payload: string, secret?: string): string;
  close(): Promise<void>;
}

interface Registration {
  metadata: unknown;
  callbackUrl: string;
  awaitServerData: boolean;
}

export async function startFakeUploadThing(): Promise<FakeUploadThing> {
  const apiKey = "sk_test_fake_uploadthing_key_for_the_suite";
  const appId = "cftestapp";
  const files = new Map<string, UtFile>();
  const registrations = new Map<string, Registration>();
  const results = new Map<string, (data: unknown) => void>();
  const callbacks: FakeUploadThing["callbacks"] = [];
  const sign = (payload: string, secret = apiKey) => `hmac-sha256=${createHmac("sha256", secret).update(payload).digest("hex")}`;
  let base = "";

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", base);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(data));
    };
    const apiAuth = () => req.headers["x-uploadthing-api-key"] === apiKey;

    if (req.method === "POST" && url.pathname === "/route-metadata") {
      if (!apiAuth()) return send(401, { error: "Invalid API key" });
      const r = JSON.parse(body.toString()) as {
        fileKeys: string[];
        metadata: unknown;
        callbackUrl: string;
        callbackSlug: string;
        awaitServerData: boolean;
      };
      // the SDK sends the route's URL and its slug apart; UploadThing calls back `callbackUrl?slug=…`
      const callbackUrl = new URL(r.callbackUrl);
      callbackUrl.searchParams.set("slug", r.callbackSlug);
      for (const k of r.fileKeys) {
        registrations.set(k, { metadata: r.metadata, callbackUrl: callbackUrl.href, awaitServerData: r.awaitServerData });
      }
      return send(200, { ok: true });
    }
    if (req.method === "POST" && url.pathname === "/callback-result") {
      if (!apiAuth()) return send(401, { error: "Invalid API key" });
      const r = JSON.parse(body.toString()) as { fileKey: string; callbackData: unknown };
      results.get(r.fileKey)?.(r.callbackData);
      return send(200, { ok: true });
    }
    if (req.method === "POST" && url.pathname === "/v6/deleteFiles") {
      if (!apiAuth()) return send(401, { error: "Invalid API key" });
      const r = JSON.parse(body.toString()) as { fileKeys?: string[]; customIds?: string[] };
      let deletedCount = 0;
      for (const [k, f] of files) {
        if (r.fileKeys?.includes(k) || (f.customId && r.customIds?.includes(f.customId))) {
          files.delete(k);
          deletedCount++;
        }
      }
      return send(200, { success: true, deletedCount });
    }
    if (req.method === "POST" && url.pathname === "/v6/listFiles") {
      if (!apiAuth()) return send(401, { error: "Invalid API key" });
      const r = JSON.parse(body.toString() || "{}") as { limit?: number; offset?: number };
      const all = [...files.values()];
      const offset = r.offset ?? 0;
      const page = all.slice(offset, offset + (r.limit ?? 500));
      return send(200, {
        hasMore: offset + page.length < all.length,
        files: page.map((f) => ({
          id: f.key,
          customId: f.customId,
          key: f.key,
          name: f.name,
          size: f.data.length,
          status: "Uploaded",
          uploadedAt: f.uploadedAt,
        })),
      });
    }
    const fileRoute = new RegExp(`^/a/${appId}/f/([^/]+)$`).exec(url.pathname);
    if (req.method === "GET" && fileRoute) {
      const id = decodeURIComponent(fileRoute[1] as string);
      const f = files.get(id) ?? [...files.values()].find((x) => x.customId === id);
      if (!f) return send(404, { error: "Not found" });
      const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
      if (m) {
        const start = Number(m[1]);
        const end = Math.min(m[2] ? Number(m[2]) : f.data.length - 1, f.data.length - 1);
        const part = f.data.subarray(start, end + 1);
        res.writeHead(206, {
          "content-type": f.type,
          "content-range": `bytes ${start}-${end}/${f.data.length}`,
          "content-length": String(part.length),
        });
        return res.end(part);
      }
      res.writeHead(200, { "content-type": f.type, "content-length": String(f.data.length), "accept-ranges": "bytes" });
      return res.end(f.data);
    }
    if (req.method === "PUT") {
      // a presigned ingest URL: everything but the trailing signature is what was signed
      const raw = `${base}${req.url}`;
      const at = raw.lastIndexOf("&signature=");
      const given = Buffer.from(decodeURIComponent(raw.slice(at + "&signature=".length)));
      const expected = Buffer.from(sign(raw.slice(0, at)));
      if (at < 0 || given.length !== expected.length || !timingSafeEqual(given, expected))
        return send(403, { error: "Invalid signature" });
      if (Number(url.searchParams.get("expires")) < Date.now()) return send(403, { error: "URL expired" });
      if (url.searchParams.get("x-ut-identifier") !== appId) return send(403, { error: "Wrong app" });
      const key = url.pathname.slice(1);
      const form = await new Response(body, { headers: { "content-type": String(req.headers["content-type"]) } }).formData();
      const file = form.get("file");
      if (!(file instanceof Blob)) return send(400, { error: "No file" });
      const data = Buffer.from(await file.arrayBuffer());
      const declared = Number(decodeURIComponent(url.searchParams.get("x-ut-file-size") ?? "NaN"));
      if (declared !== data.length) return send(400, { error: "Size mismatch" });
      const customIdParam = url.searchParams.get("x-ut-custom-id");
      const f: UtFile = {
        key,
        customId: customIdParam ? decodeURIComponent(customIdParam) : null,
        name: decodeURIComponent(url.searchParams.get("x-ut-file-name") ?? "file"),
        type: decodeURIComponent(url.searchParams.get("x-ut-file-type") ?? "application/octet-stream"),
        data,
        uploadedAt: Date.now(),
      };
      files.set(key, f);
      const ufsUrl = `${base}/a/${appId}/f/${key}`;
      const fileHash = createHash("md5").update(data).digest("hex");
      const reg = registrations.get(key);
      let serverData: unknown = null;
      if (reg) {
        const payload = JSON.stringify({
          status: "uploaded",
          metadata: reg.metadata,
          origin: base,
          file: {
            name: f.name,
            size: data.length,
            type: f.type,
            customId: f.customId,
            key,
            url: ufsUrl,
            appUrl: ufsUrl,
            ufsUrl,
            fileHash,
            lastModified: Date.now(),
          },
        });
        const waiting = new Promise((resolve) => results.set(key, resolve));
        const cb = await fetch(reg.callbackUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "uploadthing-hook": "callback",
            "x-uploadthing-signature": sign(payload),
          },
          body: payload,
        });
        callbacks.push({ status: cb.status, body: await cb.json().catch(() => null) });
        if (reg.awaitServerData && cb.ok)
          serverData = await Promise.race([waiting, new Promise((r) => setTimeout(() => r(null), 30_000))]);
      }
      return send(200, { url: ufsUrl, appUrl: ufsUrl, ufsUrl, fileHash, serverData });
    }
    send(404, { error: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  base = `http://localhost:${port}`;
  const token = Buffer.from(JSON.stringify({ apiKey, appId, regions: ["fake1"] })).toString("base64");
  return {
    url: base,
    ufsHost: `localhost:${port}`,
    token,
    apiKey,
    appId,
    files,
    callbacks,
    sign,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
