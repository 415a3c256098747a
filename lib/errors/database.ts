/**
 * Is `err` the database being unreachable, restarting or refusing connections (rather than a bug or a bad
 * query)? The one test the request path (lib/http `publicError`: 503 DATABASE_UNAVAILABLE with Retry-After),
 * the proxy's rate-limit key and the background roles' back-off use. It walks `err.cause` (drizzle wraps the
 * driver's error in a DrizzleQueryError) and an AggregateError's `errors` (Node.js's connection attempts to
 * each address of a host name).
 *
 * Recognised:
 * - the `postgres` driver's own codes for a connection that went away or never came: CONNECTION_CLOSED,
 *   CONNECTION_ENDED, CONNECTION_DESTROYED, CONNECT_TIMEOUT;
 * - socket errors: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH (these carry no mark of which
 *   client raised them: another backing service's socket error that reaches the mapper is a 503 too, which
 *   is still the honest class of answer);
 * - SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 *   cannot_connect_now (starting up or recovering), 53300 too_many_connections.
 */
const DRIVER_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

export function isDatabaseUnavailable(err: unknown): boolean {
  return unavailableCause(err) !== undefined;
}

/** The error in `err`'s chain that makes it a database outage (for a short log line), or undefined. */
export function unavailableCause(err: unknown): { code: string; message: string } | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0 && seen.size < 20) {
    const e = stack.pop();
    if (typeof e !== "object" || e === null || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && isOutageCode(code)) {
      const message = (e as { message?: unknown }).message;
      return { code, message: typeof message === "string" ? message : code };
    }
    stack.push((e as { cause?: unknown }).cause);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) stack.push(...errors);
  }
  return undefined;
}

function isOutageCode(code: string): boolean {
  return DRIVER_CODES.has(code) || SOCKET_CODES.has(code) || SQLSTATES.has(code) || (code.length === 5 && code.startsWith("08"));
}

/** Retry-After (seconds) of a DATABASE_UNAVAILABLE answer: a restart of PostgreSQL takes a few seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
