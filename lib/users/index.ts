import bcrypt from "bcryptjs";
import { eq, sql } from "drizzle-orm";
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

/** Find or create the user behind an OAuth identity (first sign-in links by email). */
export async function upsertOAuthUser(
  db: Db,
  p: { provider: string; providerAccountId: string; email: string; name: string; image?: string | null },
): Promise<PublicUser> {
  return db.transaction(async (tx) => {
    const [linked] = await tx
      .select(publicColumns)
      .from(oauthAccounts)
      .innerJoin(users, eq(users.id, oauthAccounts.userId))
      .where(sql`${oauthAccounts.provider} = ${p.provider} and ${oauthAccounts.providerAccountId} = ${p.providerAccountId}`);
    if (linked) return linked;
    const existing = await findUserByEmail(tx, p.email);
    const user =
      existing ??
      (
        await tx
          .insert(users)
          .values({ id: uuidv7(), email: p.email, name: p.name, image: p.image ?? null })
          .returning(publicColumns)
      )[0];
    if (!user) throw new Error("user insert returned nothing");
    await tx
      .insert(oauthAccounts)
      .values({ provider: p.provider, providerAccountId: p.providerAccountId, userId: user.id })
      .onConflictDoNothing();
    return user;
  });
}
