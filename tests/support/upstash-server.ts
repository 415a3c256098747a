/**
 * A local server speaking Upstash Redis's REST protocol in front of a real Redis,
 * so the real @upstash/redis SDK can be tested offline. Hand-written (Upstash's
 * own "serverless-redis-http" is a Docker image, not an npm package). Subset:
 * POST / with a command array, POST /pipeline and /multi-exec with arrays of
 * commands, Bearer auth, and the `Upstash-Encoding: base64` response encoding.
 */
import { createServer } from "node:http";
import Redis from "ioredis";

export interface UpstashServer {
  url: string;
  token: string;
  requests: { path: string; body: unknown }[];
  close(): Promise<void>;
}

const b64 = (v: unknown): unknown =>
  typeof v === "string" ? Buffer.from(v).toString("base64") : Array.isArray(v) ? v.map(b64) : v;

export async function startUpstashServer(redisUrl: string, token = "test-upstash-token"): Promise<UpstashServer> {
  const redis = new Redis(redisUrl);
  const requests: UpstashServer["requests"] = [];
  const run = async (cmd: unknown) => {
    if (!Array.isArray(cmd) || cmd.length === 0) return { error: "ERR invalid command" };
    try {
      const [name, ...args] = cmd.map(String) as [string, ...string[]];
      return { result: await redis.call(name, ...args) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: "Unauthorized" });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(400, { error: "ERR failed to parse command" });
    }
    const path = (req.url ?? "/").split("?")[0] as string;
    requests.push({ path, body });
    const encode = req.headers["upstash-encoding"] === "base64";
    const out = (r: { result?: unknown; error?: string }) => (encode && "result" in r ? { result: b64(r.result) } : r);
    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(body)) return send(400, { error: "ERR expected an array of commands" });
      const results = [];
      for (const cmd of body) results.push(out(await run(cmd)));
      return send(200, results);
    }
    const r = await run(body);
    return send(r.error ? 400 : 200, out(r));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    async close() {
      await new Promise((r) => server.close(r));
      redis.disconnect();
    },
  };
}
