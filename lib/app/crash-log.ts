import type { Logger } from "pino";

const installed = Symbol.for("crowdfund.processErrorLogging");

/**
 * Log every uncaught exception and unhandled rejection of this process as one JSON line (msg
 * "uncaughtException" at fatal, "unhandledRejection" at error), so that an operator's alerting, or a test
 * harness, can count them. Next.js's server installs its own listeners that log and keep the process
 * serving (node_modules/next/dist/server/node-environment-extensions/process-error-handlers.js); where
 * Next.js does not run (`npm run worker`), `exit` keeps Node.js's own policy: the process exits 1 after the
 * line, for its supervisor to restart it. Once per process (the first call's `exit` holds).
 */
export function logProcessErrors(log: Logger, opts: { exit: boolean }): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[installed]) return;
  g[installed] = true;
  process.on("uncaughtException", (err, origin) => {
    log.fatal({ err, origin }, "uncaughtException");
    if (opts.exit) process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    log.error({ err: reason }, "unhandledRejection");
    if (opts.exit) process.exit(1);
  });
}
