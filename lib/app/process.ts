import type { Services } from "./index";
import type { RunningRoles } from "./roles";

/**
 * The composition root's process-wide state: the services and the roles this process started. On
 * globalThis because `npm start`'s launcher (tsx) and the Next.js bundle hold separate copies of these
 * modules in one process (the launcher stops what the bundle's instrumentation hook started), and
 * `next dev` reloads modules without a new process. Type-only imports: the launcher loads this module
 * at start-up without the application's graph, so nothing needs compiling while it shuts down.
 */
export const processState = globalThis as unknown as {
  __cfServices?: Services;
  __cfRoles?: Promise<RunningRoles>;
  /** Page renders that failed on a database outage, by RENDER_TAG (set only by `npm start`'s server). */
  __cfOutageRenders?: Set<string>;
};

/**
 * The request header `npm start`'s server tags every request with, so that instrumentation.ts
 * `onRequestError` can tell it which page render failed because the database was unavailable: the server
 * then answers that render's 500 as a 503 with Retry-After (scripts/start.ts). Any value a client sent is replaced.
 */
export const RENDER_TAG = "x-cf-render-tag";

/** Stop the roles this process started (if any), then close the composition root's pool; idempotent. */
export async function stopRoles(): Promise<void> {
  const running = processState.__cfRoles;
  if (running) await (await running.catch(() => undefined))?.stop();
  await processState.__cfServices?.close();
}
