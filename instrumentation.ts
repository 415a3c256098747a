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
