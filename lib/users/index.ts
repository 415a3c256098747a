import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { and, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "@/db/client";
import { oauthAccounts, users } from "@/db/schema";

export type User = typeof users.$inferSelect;
export type PublicUser = Pick<User, "id" | "name" | "email" | "role">;

const publicColumns = { id: users.id, name: users.name, email: users.email, role: users.role };

export async function findUserById(db: Db, id: string): Promise<PublicUser | undefined> {
  const [u] = await db.select(publicColumns).from(users).where(eq(users.id, id));
  return u;
}

/**
 * The user a session cookie names, or undefined when there is none or the cookie was signed in under another
 * session version than the user's (`users.session_version`: "Sign out everywhere" has been used since).
 * `sessionVersion` is the cookie's own (0 for cookies issued before versions existed).
 */
export async function findSessionUser(db: Db, id: string, sessionVersion: number): Promise<PublicUser | undefined> {
  const [u] = await db
    .select(publicColumns)
    .from(users)
    .where(and(eq(users.id, id), eq(users.sessionVersion, sessionVersion)));
  return u;
}

/** A session cookie's `sv` claim as a version: cookies issued before versions existed carry none and count as 0. */
export function sessionVersionClaim(sv: unknown): number {
  return typeof sv === "number" && Number.isSafeInteger(sv) ? sv : 0;
}

/** The user's current session version (`users.session_version`); undefined for an unknown user. */
export async function currentSessionVersion(db: Db, id: string): Promise<number | undefined> {
  const [u] = await db.select({ v: users.sessionVersion }).from(users).where(eq(users.id, id));
  return u?.v;
}

export async function findUserByEmail(db: Db, email: string): Promise<PublicUser | undefined> {
  const [u] = await db.select(publicColumns).from(users).where(sql`lower(${users.email}) = lower(${email})`);
  return u;
}

// A real hash to compare against when the user is unknown, so that timing does not reveal which emails exist.
const DUMMY_HASH = bcrypt.hashSync("not-a-password", 10);

/** Password sign-in of seeded users. Returns the user, or undefined for any mismatch. */
export async function verifyPassword(db: Db, email: string, password: string): Promise<PublicUser | undefined> {
  const [u] = await db
    .select({ ...publicColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`);
  const ok = await bcrypt.compare(password, u?.passwordHash ?? DUMMY_HASH);
  if (!u || !u.passwordHash || !ok) return undefined;
  const { passwordHash: _, ...user } = u;
  return user;
}

/** An identity a provider vouches for: its account ID and the email it VERIFIED (never an unverified one). */
export interface OAuthIdentity {
  provider: string;
  providerAccountId: string;
  verifiedEmail: string;
  name: string;
  image?: string | null;
}

export type OAuthSignIn = { ok: true; user: PublicUser } | { ok: false; reason: "OAuthAccountNotLinked" };

/**
 * The user behind an OAuth identity (issue 13, finding 1): the user already linked to it, else a new user
 * created and linked, in one transaction. An existing user with the same email but not linked to this
 * identity (a password account, or another account of the provider) is NOT linked silently: that would hand
 * the account to whoever controls the email at the provider. Answers `OAuthAccountNotLinked` then.
 * The caller must pass only an email the provider verified.
 */
export async function signInWithOAuth(db: Db, p: OAuthIdentity): Promise<OAuthSignIn> {
  return db.transaction(async (tx) => {
    const [linked] = await tx
      .select(publicColumns)
      .from(oauthAccounts)
      .innerJoin(users, eq(users.id, oauthAccounts.userId))
      .where(sql`${oauthAccounts.provider} = ${p.provider} and ${oauthAccounts.providerAccountId} = ${p.providerAccountId}`);
    if (linked) return { ok: true, user: linked };
    const [user] = await tx
      .insert(users)
      .values({ id: uuidv7(), email: p.verifiedEmail, name: p.name, image: p.image ?? null })
      .onConflictDoNothing()
      .returning(publicColumns);
    if (!user) return { ok: false, reason: "OAuthAccountNotLinked" }; // the email belongs to another account
    await tx.insert(oauthAccounts).values({ provider: p.provider, providerAccountId: p.providerAccountId, userId: user.id });
    return { ok: true, user };
  });
}

/** The first-run admin's email (the embedded default exposed beyond loopback). */
export const FIRST_RUN_ADMIN_EMAIL = "admin@localhost";

/**
 * Create the first-run admin when no admin can sign in with a password (issue 13, finding 6): email
 * `admin@localhost`, a random 24-character password stored as a bcrypt hash. Returns the password, to be
 * shown once, only to the run that created the user; undefined when an admin with a password exists.
 */
export async function ensureFirstRunAdmin(db: Db): Promise<{ email: string; password: string } | undefined> {
  const [admin] = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`${users.role} = 'admin' and ${users.passwordHash} is not null`)
    .limit(1);
  if (admin) return undefined;
  const password = randomBytes(18).toString("base64url");
  const [created] = await db
    .insert(users)
    .values({
      id: uuidv7(),
      email: FIRST_RUN_ADMIN_EMAIL,
      name: "Administrator",
      role: "admin",
      passwordHash: await bcrypt.hash(password, 10),
    })
    .onConflictDoNothing()
    .returning({ id: users.id });
  return created ? { email: FIRST_RUN_ADMIN_EMAIL, password } : undefined;
}
