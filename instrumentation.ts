import { processState, RENDER_TAG } from "./lib/app/process";
import { isDatabaseUnavailable, unavailableCause } from "./lib/errors/database";

/**
 * Next.js calls `register()` once when a server process starts (`npm start`, `next start`, the
 * standalone `server.js`, a Vercel function instance): it enters the composition root, which applies
 * the migrations and starts the process roles named by SERVICES (lib/app/roles.ts). NEXT_RUNTIME and
 * NEXT_PHASE are Next.js's own variables: the roles need Node.js and never run during `next build`.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { bootRoles } = await import("./lib/app/boot");
  await bootRoles();
}

/**
 * Next.js calls `onRequestError` for an error a page, route or action let escape (a page's server component
 * reading the database during an outage: Next.js answers its error page, app/error.tsx, with status 500).
 * A database outage is logged as one warning, and the render is marked for `npm start`'s server, which turns
 * its 500 into a 503 with Retry-After (lib/app/process.ts RENDER_TAG). Other errors: Next.js logs them itself.
 */
export async function onRequestError(
  err: unknown,
  request: { path: string; method: string; headers: NodeJS.Dict<string | string[]> },
) {
  if (process.env.NEXT_RUNTIME !== "nodejs" || !isDatabaseUnavailable(err)) return;
  const tag = request.headers[RENDER_TAG];
  if (typeof tag === "string") processState.__cfOutageRenders?.add(tag);
  const { services } = await import("./lib/app");
  services().log.warn({ path: request.path, method: request.method, cause: unavailableCause(err) }, "database unavailable");
}
