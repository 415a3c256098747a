import { services } from "./index";
import { type RunningRoles, startRoles } from "./roles";

// The roles this process started. On globalThis: `npm start`'s launcher (tsx) stops what the Next.js
// bundle's copy of this module started.
const g = globalThis as unknown as { __cfRoles?: Promise<RunningRoles> };

/**
 * Start this process's roles (SERVICES) once, whatever started the process: `instrumentation.ts`
 * under `npm start`, `next start` and the standalone server; `npm run worker` directly. Resolves when
 * they run; rejects (and starts nothing) when the database cannot be reached or migrated.
 */
export function bootRoles(roles = services().config.services): Promise<RunningRoles> {
  g.__cfRoles ??= startRoles(services(), roles).then(
    (running) => {
      services().log.info({ roles: running.roles }, "process roles started");
      return running;
    },
    (err) => {
      g.__cfRoles = undefined;
      throw err;
    },
  );
  return g.__cfRoles;
}

/** Stop the roles this process started (if any) and close the composition root's pool; idempotent. */
export async function stopRoles(): Promise<void> {
  const running = g.__cfRoles;
  if (!running) return;
  await (await running.catch(() => undefined))?.stop();
  await services().close();
}
