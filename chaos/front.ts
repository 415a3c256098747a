import http from "node:http";

/**
 * The harness's front: a round-robin HTTP forwarder on loopback before the web instances, standing in for the load
 * balancer (nginx in deploy/) of a real deployment, so that clients and the sandbox's webhooks reach whichever
 * instance is alive while the harness kills them. Written here (about forty lines) rather than taken from a proxy
 * library because it must know which upstream the harness has just killed: `upstreams()` is asked on every request.
 * A request whose upstream dies before answering gets 502 `UPSTREAM_UNAVAILABLE` — what nginx answers — and the
 * client retries it under its idempotency key; the front never retries itself (it cannot know whether a POST ran).
 */
export function startFront(upstreams: () => number[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const server = http.createServer((req, res) => {
    const ports = upstreams();
    const port = ports.length > 0 ? ports[next++ % ports.length] : undefined;
    const fail = () => {
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "UPSTREAM_UNAVAILABLE", message: "no web instance answered" } }));
    };
    if (port === undefined) {
      req.resume();
      return fail();
    }
    const up = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${port}` } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        r.once("error", () => res.destroy());
      },
    );
    up.once("error", fail);
    req.pipe(up);
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}
