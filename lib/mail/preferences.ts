import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";

/** How a creator hears of gifts to their campaigns (`users.donation_notice`): a mail per gift, a daily digest, none. */
export const DONATION_NOTICES = ["each", "daily", "off"] as const;
export type DonationNotice = (typeof DONATION_NOTICES)[number];

/** The settings form's input: `donationNotice` one of each, daily, off (VALIDATION_FAILED otherwise). */
export const donationNoticeSchema = z.object({
  donationNotice: z.enum(DONATION_NOTICES, { error: "must be each, daily or off" }),
});

/** The user's current choice; `each` (the column's default) for an unknown user. */
export async function getDonationNotice(db: Db, userId: string): Promise<DonationNotice> {
  const [row] = await db.select({ n: users.donationNotice }).from(users).where(eq(users.id, userId));
  return row?.n ?? "each";
}

/** Record the user's choice; it applies to gifts that succeed from now on (and to the next digest). */
export async function setDonationNotice(db: Db, userId: string, notice: DonationNotice): Promise<void> {
  await db.update(users).set({ donationNotice: notice }).where(eq(users.id, userId));
}
