import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignOutEverywhereForm } from "@/components/SignOutEverywhereForm";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { listApiTokens } from "@/lib/auth/tokens";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sessions" };

/** "Sign out everywhere": ends every browser session of the signed-in user (docs/security.md, "Stolen or forgotten sessions"). */
export default async function SessionsPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/settings/sessions");
  const activeTokens = (await listApiTokens(db(), user.id)).filter((t) => !t.revokedAt).length;
  return (
    <>
      <h1>Sessions</h1>
      <p className="muted">
        Signing in keeps you signed in on that browser for 30 days. If you signed in on a computer that is not yours, or think
        someone else has your session, sign out everywhere: every browser signed in as {user.email}, this one included, is signed
        out at once, and we email you that it happened. Someone who had your session could also have made an{" "}
        <a href="/settings/tokens">API token</a> or changed your <a href="/settings/payouts">payout account</a>: check both
        afterwards.
      </p>
      <SignOutEverywhereForm activeTokens={activeTokens} />
    </>
  );
}
