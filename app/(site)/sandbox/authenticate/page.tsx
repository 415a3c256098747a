import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { sandboxAuthenticateAction } from "@/app/actions/sandbox";
import { formatMoney } from "@/components/format";
import { db, services } from "@/lib/app";
import { sandboxPaymentForPayer } from "@/lib/payments/sandbox";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Authenticate your payment (sandbox)", robots: { index: false } };

type Search = Promise<{ payment_intent?: string; client_secret?: string }>;

/**
 * The sandbox's stand-in for a card issuer's 3-D Secure challenge (Stripe test mode shows a similar page): the
 * payer completes or fails the authentication of a pm_card_authenticationRequired payment. Reached through the
 * payment's next_action; 404 without the payment's client secret or when Stripe is the provider.
 */
export default async function SandboxAuthenticatePage({ searchParams }: { searchParams: Search }) {
  if (services().payments.provider.name !== "sandbox") notFound();
  const q = await searchParams;
  const id = typeof q.payment_intent === "string" ? q.payment_intent : "";
  const secret = typeof q.client_secret === "string" ? q.client_secret : "";
  const p = id && secret ? await sandboxPaymentForPayer(db(), id, secret) : undefined;
  if (!p) notFound();
  return (
    <div className="narrow">
      <h1>Authenticate your payment</h1>
      <p className="muted">Sandbox: this page stands in for your bank&rsquo;s 3-D Secure check. No real card is involved.</p>
      <div className="card">
        <p>
          Payment of <strong data-testid="authenticate-amount">{formatMoney(p.amount, p.currency)}</strong>
        </p>
        {p.status === "requires_action" ? (
          <form action={sandboxAuthenticateAction} className="actions">
            <input type="hidden" name="paymentIntent" value={p.id} />
            <input type="hidden" name="clientSecret" value={secret} />
            <button type="submit" name="outcome" value="complete" className="btn btn-primary">
              Complete authentication
            </button>
            <button type="submit" name="outcome" value="fail" className="btn btn-ghost">
              Fail authentication
            </button>
          </form>
        ) : (
          <form action={sandboxAuthenticateAction}>
            <p role="status">This payment no longer needs authentication.</p>
            <input type="hidden" name="paymentIntent" value={p.id} />
            <input type="hidden" name="clientSecret" value={secret} />
            <button type="submit" className="btn btn-primary">
              Return to the campaign
            </button>
          </form>
        )}
      </div>
    </div>
  );
}
