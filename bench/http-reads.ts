/**
 * HTTP reads of ONE hot campaign, three ways, in the same run:
 *   nginx micro-cache (deploy/nginx.conf) in front of two app instances,
 *   straight to Next.js (one app instance: the route, L1 cache, headers),
 *   a bare Node.js server returning the same bytes (the ceiling of this machine).
 * Load from autocannon on loopback, bounded in time.
 *
 *   npm run bench:http -- [--seconds 10] [--connections 50]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { anyFreePort } from "@/lib/net/ports";
import { type AppServer, startApp } from "@/tests/support/env";
import { benchDatabase, machine, root, say } from "./support";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "50" } },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);

async function hammer(url: string) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main() {
  say(`machine: ${machine()}`);
  say(`command: npm run bench:http -- --seconds ${SECONDS} --connections ${CONNECTIONS}`);
  const nginxBin = spawnSync("which", ["nginx"]).stdout.toString().trim();
  if (!nginxBin) throw new Error("nginx is not installed (Debian: apt-get install nginx)");
  const db = await benchDatabase("http");
  const apps: AppServer[] = [];
  let nginx: ReturnType<typeof spawn> | undefined;
  const work = path.join(tmpdir(), `cf-nginx-${process.pid}`);
  try {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const user = uuidv7();
    const id = uuidv7();
    await sql`insert into users (id, email, name) values (${user}, 'hot@example.com', 'Hot Creator')`;
    await sql`insert into campaigns (id, creator_id, title, story, goal_amount, currency, status, collected_amount, contribution_count)
              values (${id}, ${user}, 'A viral campaign', ${"A story. ".repeat(100)}, 10000000, 'USD', 'active', 4200000, 1234)`;
    await sql.end();

    say("starting two app instances…");
    // Generous rate limit: the bench measures serving, not the limiter.
    const env = { RATE_LIMIT_MAX: "100000000", SERVICES: "web,scheduler,dispatcher" };
    apps.push(await startApp(db.url, env), await startApp(db.url, env));
    const path_ = `/api/campaigns/${id}`;
    const sample = await fetch(`${apps[0]?.baseUrl}${path_}`);
    const body = await sample.text();
    const headers = Object.fromEntries(
      [...sample.headers].filter(([k]) => !["date", "connection", "keep-alive", "transfer-encoding"].includes(k)),
    );

    const barePort = await anyFreePort();
    const bare = createServer((_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    }).listen(barePort, "127.0.0.1");

    const nginxPort = await anyFreePort();
    mkdirSync(path.join(work, "cache"), { recursive: true });
    const conf = readFileSync(path.join(root, "deploy/nginx.conf"), "utf8")
      .replace(/pid [^;]+;/, `pid ${work}/nginx.pid;`)
      .replace(/server 127\.0\.0\.1:3000 /, `server 127.0.0.1:${apps[0]?.port} `)
      .replace(/server 127\.0\.0\.1:3001 /, `server 127.0.0.1:${apps[1]?.port} `)
      .replace(/proxy_cache_path \S+\/(\S+)/g, (_, dir) => `proxy_cache_path ${work}/cache-${dir}`)
      .replace(/listen 8080/, `listen 127.0.0.1:${nginxPort}`)
      .replace("worker_processes auto;", `worker_processes auto;\nerror_log ${work}/error.log;`);
    writeFileSync(path.join(work, "nginx.conf"), conf);
    nginx = spawn(nginxBin, ["-c", path.join(work, "nginx.conf"), "-g", "daemon off;"], { stdio: "inherit" });
    await new Promise((r) => setTimeout(r, 1000));
    const viaNginx = await fetch(`http://127.0.0.1:${nginxPort}${path_}`);
    say(`nginx answers ${viaNginx.status}, X-Cache-Status ${viaNginx.headers.get("x-cache-status")}`);

    const rows: [string, Awaited<ReturnType<typeof hammer>>][] = [];
    for (const [name, url] of [
      ["bare Node.js server, same bytes", `http://127.0.0.1:${barePort}${path_}`],
      ["nginx micro-cache → 2 app instances", `http://127.0.0.1:${nginxPort}${path_}`],
      ["straight to Next.js (1 instance)", `http://127.0.0.1:${apps[0]?.port}${path_}`],
    ] as const) {
      say(`${name}: ${CONNECTIONS} connections for ${SECONDS} s…`);
      rows.push([name, await hammer(url)]);
    }
    bare.close();
    const ceiling = rows[0]?.[1].rps ?? 1;
    console.log("");
    console.log(
      `Hot campaign reads (GET /api/campaigns/{id}, ${body.length} bytes) — ${machine()}, ${CONNECTIONS} connections, ${SECONDS} s each`,
    );
    console.log("| path | req/s | p50 | p99 | non-2xx | ratio to bare Node |");
    console.log("|---|---|---|---|---|---|");
    for (const [name, r] of rows) {
      console.log(
        `| ${name} | ${Math.round(r.rps).toLocaleString("en-US")} | ${r.p50} ms | ${r.p99} ms | ${r.non2xx} | ${(r.rps / ceiling).toFixed(2)} |`,
      );
    }
  } finally {
    nginx?.kill("SIGTERM");
    for (const a of apps) await a.stop();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
