/**
 * A local HTTP server speaking the part of GitHub's OAuth protocol next-auth uses: the authorization
 * endpoint (redirects back with `code` and `state`), the token endpoint, `GET /user` and `GET /user/emails`.
 * The app reaches it through GITHUB_OAUTH_URL and GITHUB_API_URL. Each code names one identity the test
 * registered; its access token answers that identity's user and emails.
 */
import { createServer, type Server } from "node:http";
import { anyFreePort } from "@/lib/net/ports";

export interface FakeGitHubIdentity {
  user: { id: number; login: string; name?: string | null; email?: string | null };
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface FakeGitHub {
  url: string;
  /** Register an identity; returns the authorization code that signs it in. */
  identity(i: FakeGitHubIdentity): string;
  /** Token requests received (client ID, code). */
  tokenRequests: { clientId: string; code: string }[];
  close(): Promise<void>;
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const identities = new Map<string, FakeGitHubIdentity>();
  const tokenRequests: { clientId: string; code: string }[] = [];
  const json = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
        const form = new URLSearchParams(body);
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        const clientId = basic
          ? decodeURIComponent(Buffer.from(basic, "base64").toString().split(":")[0] ?? "")
          : (form.get("client_id") ?? "");
        const code = form.get("code") ?? "";
        tokenRequests.push({ clientId, code });
        if (!identities.has(code)) return json(res, 200, { error: "bad_verification_code" });
        return json(res, 200, { access_token: `gho_${code}`, token_type: "bearer", scope: "read:user,user:email" });
      }
      const who = identities.get(/^(?:Bearer|token) gho_(\S+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
      if (req.method === "GET" && url.pathname === "/user") return who ? json(res, 200, who.user) : json(res, 401, {});
      if (req.method === "GET" && url.pathname === "/user/emails") return who ? json(res, 200, who.emails) : json(res, 401, {});
      json(res, 404, { message: "Not Found" });
    });
  });
  const port = await anyFreePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  let n = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    identity(i) {
      const code = `code${++n}x${Date.now()}`;
      identities.set(code, i);
      return code;
    },
    tokenRequests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
