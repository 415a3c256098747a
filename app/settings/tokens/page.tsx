import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { TokenManager, type TokenRow } from "@/components/TokenManager";
import { db } from "@/lib/app";
import { sessionUser } from "@/lib/auth/session";
import { listApiTokens } from "@/lib/auth/tokens";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API tokens" };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export default async function TokensPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/settings/tokens");
  const tokens: TokenRow[] = (await listApiTokens(db(), user.id)).map((t) => ({
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
  }));
  return (
    <>
      <h1>API tokens</h1>
      <p className="muted">
        Tokens let scripts use the <a href="/docs">JSON API</a> as you: send <code>Authorization: Bearer &lt;token&gt;</code>.
        Treat them like passwords and revoke any you no longer use.
      </p>
      <TokenManager initialTokens={tokens} />
    </>
  );
}
