import type { Db } from "@/db/client";
import { type PublicUser, verifyPassword } from "@/lib/users";
import type { LoginThrottle } from "./guards";

export interface PasswordSignInDeps {
  db: Db;
  throttle: LoginThrottle;
  /** The password check (default lib/users#verifyPassword, bcrypt); tests count its calls. */
  verify?: (db: Db, email: string, password: string) => Promise<PublicUser | undefined>;
}

export type PasswordSignIn =
  | { throttled: false; user: PublicUser | undefined }
  | { throttled: true; retryAfterSeconds: number; user?: undefined };

/**
 * Password sign-in under the login throttle (issue 13, finding 3). A throttled account or IP is refused
 * BEFORE the password is compared: bcrypt does not run, so a guesser learns nothing, even from a right
 * password, and costs us no CPU. Otherwise the password is checked; a failure counts against the account
 * (email, case-insensitive) and the IP, a success clears the account's failures.
 */
export async function authorizePassword(
  deps: PasswordSignInDeps,
  p: { email: string; password: string; ip: string },
): Promise<PasswordSignIn> {
  const subject = { email: p.email, ip: p.ip };
  const wait = await deps.throttle.retryAfter(subject);
  if (wait > 0) return { throttled: true, retryAfterSeconds: wait };
  const user = await (deps.verify ?? verifyPassword)(deps.db, p.email, p.password);
  if (user) await deps.throttle.succeeded(subject);
  else await deps.throttle.failed(subject);
  return { throttled: false, user };
}
