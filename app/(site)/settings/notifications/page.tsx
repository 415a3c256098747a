import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { DonationNoticeForm } from "@/components/DonationNoticeForm";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { getDonationNotice } from "@/lib/mail/preferences";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Email notifications" };

/** The signed-in user's email settings: how they hear of donations to their campaigns (docs/mail.md). */
export default async function NotificationSettingsPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/settings/notifications");
  const current = await getDonationNotice(db(), user.id);
  return (
    <>
      <h1>Email notifications</h1>
      <p className="muted">
        Receipts, refunds and payouts are always emailed to {user.email}. Campaign updates you asked for can be stopped from the
        link in each one.
      </p>
      <DonationNoticeForm current={current} />
    </>
  );
}
