"use client";

import { connectPayoutAccountAction } from "@/app/actions/payouts";
import { useActionForm } from "./useActionForm";

/** Connect (or finish) the payout account: the action makes it and redirects to the provider's onboarding page. */
export function ConnectPayoutAccount({ label }: { label: string }) {
  const { state, pending, form } = useActionForm(connectPayoutAccountAction, undefined);
  return (
    <form className="actions" {...form}>
      <button type="submit" className="btn btn-primary" disabled={pending}>
        {pending ? "Connecting…" : label}
      </button>
      {state && !state.ok && (
        <p className="form-error" role="alert">
          {state.error.message}
        </p>
      )}
    </form>
  );
}
