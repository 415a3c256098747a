"use client";

import { useState } from "react";

/** Connect (or finish) the payout account: the API makes it and answers the provider's onboarding URL. */
export function ConnectPayoutAccount({ label }: { label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function connect() {
    setBusy(true);
    setError(null);
    try {
      const r = await fetch("/api/me/payout-account", { method: "POST" });
      const body = await r.json();
      if (!r.ok) throw new Error(body?.error?.message ?? "Could not connect a payout account");
      window.location.assign(body.onboardingUrl);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  }
  return (
    <div className="actions">
      <button type="button" className="btn btn-primary" onClick={connect} disabled={busy}>
        {busy ? "Connecting…" : label}
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
