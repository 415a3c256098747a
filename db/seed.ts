import bcrypt from "bcryptjs";
import { and, inArray, isNull, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { config } from "@/lib/config";
import { createPayoutSettings, seedSandboxPayoutAccounts } from "@/lib/payouts";
import type { Db } from "./client";
import { users } from "./schema";

export const DEMO_PASSWORD = "password";
export const DEMO_USERS = [
  { email: "alice@example.com", name: "Alice Example" },
  { email: "bob@example.com", name: "Bob Example" },
  { email: "carol@example.com", name: "Carol Example", role: "admin" as const },
];

const demoEmails = () => DEMO_USERS.map((u) => u.email);

/**
 * Insert the demo users once, each with a connected simulated payout account when
 * the sandbox is the provider; re-running changes nothing but giving back the published password to
 * demo users whose password `disableDemoPasswords` removed. Returns how many users were new.
 * Only where the app cannot be reached from elsewhere, or when asked (config `seedDemoUsers`).
 */
export async function seedDemoUsers(db: Db): Promise<number> {
  const passwordHash = await bcrypt.hash(DEMO_PASSWORD, 10);
  const rows = await db
    .insert(users)
    .values(DEMO_USERS.map((u) => ({ id: uuidv7(), role: "user" as const, ...u, passwordHash })))
    .onConflictDoNothing()
    .returning({ id: users.id });
  await db
    .update(users)
    .set({ passwordHash })
    .where(and(inArray(sql`lower(${users.email})`, demoEmails()), isNull(users.passwordHash)));
  const demo = await db
    .select({ id: users.id })
    .from(users)
    .where(
      inArray(
        users.email,
        DEMO_USERS.map((u) => u.email),
      ),
    );
  await seedSandboxPayoutAccounts(
    db,
    createPayoutSettings(db, config()),
    demo.map((u) => u.id),
  );
  return rows.length;
}

/**
 * Remove the published password of demo users seeded by an earlier run (issue 13, finding 6): the app now
 * runs without demo users (listening beyond loopback), so "password" must open no account. Returns how many
 * users lost it; `seedDemoUsers` gives it back.
 */
export async function disableDemoPasswords(db: Db): Promise<number> {
  const rows = await db
    .update(users)
    .set({ passwordHash: null })
    .where(and(inArray(sql`lower(${users.email})`, demoEmails()), sql`${users.passwordHash} is not null`))
    .returning({ id: users.id });
  return rows.length;
}
