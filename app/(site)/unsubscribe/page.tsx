import type { Metadata } from "next";
import Link from "next/link";
import { db } from "@/lib/app";
import { authSecret } from "@/lib/auth/options";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { campaignTitle, type UnsubscribeScope, unsubscribedKind, verifyUnsubscribeToken } from "@/lib/mail/unsubscribe";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Unsubscribe", robots: { index: false } };

type Search = Promise<{ token?: string | string[]; done?: string | string[] }>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * The link in a message's body (docs/mail.md, "Unsubscribe"): GET shows what the signed token would stop and a
 * button; the button's form posts to /api/unsubscribe (the same address as the one-click header), which comes
 * back here with `done`. Works without JavaScript and without signing in: the token is the credential. A bad
 * token shows the error code, with a 400 that proxy.ts (`pageStatus`) sets, as /api/unsubscribe answers it.
 */
export default async function UnsubscribePage({ searchParams }: { searchParams: Search }) {
  const { token, done } = await searchParams;
  const finished = unsubscribedKind(one(done));
  if (finished) {
    return (
      <>
        <h1>Unsubscribed</h1>
        <p role="status">
          {finished === "campaign"
            ? "You will no longer receive this campaign's updates by email."
            : "You will no longer receive emails about donations to your campaigns."}
        </p>
        <p>
          <Link href="/">Back to the campaigns</Link>
        </p>
      </>
    );
  }
  let scope: UnsubscribeScope;
  const raw = one(token);
  try {
    scope = verifyUnsubscribeToken(authSecret(config()), raw);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return (
      <>
        <h1>Unsubscribe</h1>
        <p className="form-error" role="alert" data-error-code={err.code}>
          {err.message} (<code>{err.code}</code>).
        </p>
      </>
    );
  }
  const title = scope.kind === "campaign" ? await campaignTitle(db(), scope.campaignId) : undefined;
  return (
    <>
      <h1>Unsubscribe</h1>
      <div className="card stack">
        <p>
          {scope.kind === "campaign"
            ? `Stop the email updates of “${title ?? "this campaign"}”?`
            : "Stop the emails about donations to your campaigns (each gift and the daily digest)?"}{" "}
          Receipts and other messages about your own payments still arrive.
        </p>
        <form method="post" action={`/api/unsubscribe?token=${encodeURIComponent(raw ?? "")}`}>
          <input type="hidden" name="from" value="page" />
          <button type="submit" className="btn btn-primary">
            Unsubscribe
          </button>
        </form>
      </div>
    </>
  );
}
