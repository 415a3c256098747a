/**
 * `npm run worker`: the background roles without HTTP. Runs SERVICES (default: consumers, scheduler
 * and dispatcher; `web` is ignored here) through the same composition root as the web processes
 * (lib/app). Start as many as you like: consumers share the partitions (leases on PostgreSQL, a durable
 * consumer on NATS JetStream) and take over a dead worker's share within seconds; one scheduler runs a
 * given day's payout at a time. Run the web instances with SERVICES=web beside them.
 */
import { configuredDatabase } from "@/db/embedded";
import { ConfigError, config, parseRoles, resetConfig } from "@/lib/config";

const say = (msg: string) => console.log(`[worker] ${msg}`);

async function main() {
  let c: ReturnType<typeof config>;
  try {
    c = config();
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : String(e));
    process.exit(1);
  }
  const { url, embedded } = await configuredDatabase(c, say);
  if (embedded) {
    process.env.DATABASE_URL = url;
    resetConfig();
  }
  const roles = new Set([...(c.SERVICES ? parseRoles(c.SERVICES) : parseRoles("consumers,scheduler,dispatcher"))]);
  roles.delete("web");
  const { bootRoles, stopRoles } = await import("@/lib/app/boot");
  // Without Next.js, Node.js's own policy: log the one JSON line, then exit 1 for the supervisor to restart us.
  const [{ logProcessErrors }, { services }] = await Promise.all([import("@/lib/app/crash-log"), import("@/lib/app")]);
  logProcessErrors(services().log, { exit: true });
  const running = await bootRoles(roles);
  say(`running ${running.roles.join(", ") || "nothing"} (${config().EVENT_TRANSPORT} transport)`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: handing partitions over and stopping`);
    await stopRoles();
    await embedded?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err) => {
  console.error(`[worker] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
