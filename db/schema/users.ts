import { sql } from "drizzle-orm";
import { integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const userRole = pgEnum("user_role", ["user", "admin"]);
/** How a creator hears of gifts to their campaigns: a mail per gift, one daily digest, or none. */
export const donationNotice = pgEnum("donation_notice", ["each", "daily", "off"]);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    image: text("image"),
    role: userRole("role").notNull().default("user"),
    /** bcrypt hash; only seeded users have one (registration is out of scope). */
    passwordHash: text("password_hash"),
    donationNotice: donationNotice("donation_notice").notNull().default("each"),
    /**
     * The generation of the user's browser sessions: a session cookie carries the value it was signed in under and
     * is refused once this differs (lib/auth/session). "Sign out everywhere" adds one; API tokens are not affected.
     */
    sessionVersion: integer("session_version").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("users_email_lower_idx").on(sql`lower(${t.email})`)],
);

/** OAuth identities (GitHub, …) linked to a user. */
export const oauthAccounts = pgTable(
  "oauth_accounts",
  {
    provider: text("provider").notNull(),
    providerAccountId: text("provider_account_id").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("oauth_accounts_provider_idx").on(t.provider, t.providerAccountId)],
);
