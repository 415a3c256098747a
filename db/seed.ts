import bcrypt from "bcryptjs";
import { inArray } from "drizzle-orm";
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

/**
 * Insert the demo users once, each with a connected simulated payout account when
 * the sandbox is the provider; re-running changes nothing. Returns how many users were new.
 */
export async function seedDemoUsers(db: Db): Promise<number> {
  const passwordHash = await bcrypt.hash(DEMO_PASSWORD, 10);
  const rows = await db
    .insert(users)
    .values(DEMO_USERS.map((u) => ({ id: uuidv7(), role: "user" as const, ...u, passwordHash })))
    .onConflictDoNothing()
    .returning({ id: users.id });
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
