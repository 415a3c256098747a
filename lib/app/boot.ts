import { logProcessErrors } from "./crash-log";
import { services } from "./index";
import { processState as g } from "./process";
import { type RunningRoles, startRoles } from "./roles";

export { stopRoles } from "./process";

/**
 * Start this process's roles (SERVICES) once, whatever started the process: `instrumentation.ts`
 * under `npm start`, `next start` and the standalone server; `npm run worker` directly. Resolves when
 * they run; rejects (and starts nothing) when the database cannot be reached or migrated.
 */
export function bootRoles(roles = services().config.services): Promise<RunningRoles> {
  // Under Next.js the process keeps serving after one (its own policy); the worker installs it first with exit.
  logProcessErrors(services().log, { exit: false });
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
