/**
 * `npm run bench:proxy`: what the gateway (proxy.ts) costs per request on its own, called in this process (no
 * HTTP, no Next.js server), against the least any Next.js proxy does: building the request and answering
 * `NextResponse.next()`. Cases: an anonymous page GET (rate limit by IP, security headers), an API POST without
 * a token, an API POST with a known API token (its hash looked up once, then remembered) and a private page
 * without a session (the sign-in gate decodes no token and redirects). The rate limiter is in memory unless
 * REDIS_URL is set (then every request is one Redis round trip, which is waiting, not CPU). Prints µs per
 * request, averaged over --requests calls after 2,000 of warm-up, one after the other.
 *
 *   npm run bench:proxy -- [--requests 20000]
 */
import { parseArgs } from "node:util";
import { NextRequest, NextResponse } from "next/server";
import { v7 as uuidv7 } from "uuid";
import { openDb } from "@/db/client";
import { users } from "@/db/schema";
import { createApiToken } from "@/lib/auth/tokens";
import { benchDatabase, machine, say } from "./support";

const { values } = parseArgs({ options: { requests: { type: "string", default: "20000" } } });
const N = Number(values.requests);
if (!Number.isInteger(N) || N < 1) {
  console.error("usage: npm run bench:proxy -- [--requests N]");
  process.exit(2);
}

const ORIGIN = "http://127.0.0.1:3000";
const CAMPAIGN = "01a22d25-0ee7-7196-a016-1a953d2620c1";

async function perRequest(make: () => NextRequest, fn: (r: NextRequest) => unknown): Promise<number> {
  for (let i = 0; i < 2000; i++) await fn(make());
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn(make());
  return Number(process.hrtime.bigint() - t) / 1000 / N;
}

async function main() {
  say(`machine: ${machine()}`);
  const db = await benchDatabase("proxy");
  // The app's configuration reads these: a limit no run reaches, and the bench's own database for token lookups.
  process.env.DATABASE_URL = db.url;
  process.env.RATE_LIMIT_MAX = "1000000000";
  process.env.RATE_LIMIT_PREFIX = `cf:rl:bench-proxy:${Date.now().toString(36)}`;
  const handle = openDb(db.url, 1);
  try {
    const [donor] = await handle.db
      .insert(users)
      .values({ id: uuidv7(), email: "proxy@bench.example.com", name: "Proxy Bench" })
      .returning({ id: users.id });
    if (!donor) throw new Error("no user");
    const { token } = await createApiToken(handle.db, { userId: donor.id, name: "bench" });
    const { proxy } = await import("../proxy");
    const page = () => new NextRequest(`${ORIGIN}/campaigns/${CAMPAIGN}`, { headers: { "user-agent": "bench" } });
    const post = (auth?: string) => () =>
      new NextRequest(`${ORIGIN}/api/campaigns/${CAMPAIGN}/contributions`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": "60", ...(auth && { authorization: auth }) },
      });
    const floor = await perRequest(page, () => NextResponse.next());
    const rows: [string, number][] = [
      ["NextResponse.next() (the least a proxy does)", floor],
      ["anonymous page GET", await perRequest(page, proxy)],
      ["API POST without a token", await perRequest(post(), proxy)],
      ["API POST with a known API token", await perRequest(post(`Bearer ${token}`), proxy)],
      [
        "private page without a session (redirect to sign-in)",
        await perRequest(() => new NextRequest(`${ORIGIN}/dashboard`), proxy),
      ],
    ];
    console.log(
      `\nnpm run bench:proxy — ${machine()}; ${N.toLocaleString("en-US")} requests per case, one at a time; rate limiter ${
        process.env.REDIS_URL ? "in Redis" : "in memory"
      }`,
    );
    console.log("| case | µs per request | over NextResponse.next() |");
    console.log("| --- | ---: | ---: |");
    for (const [name, us] of rows)
      console.log(`| ${name} | ${us.toFixed(1)} | ${name.startsWith("NextResponse") ? "—" : `+${(us - floor).toFixed(1)}`} |`);
  } finally {
    await handle.sql.end();
    await db.drop();
  }
  process.exit(0);
}

await main();
