"use client";

import { useState } from "react";
import { apiFetch } from "./api";

/** Connect (or finish) the payout account: the API makes it and answers the provider's onboarding URL. */
export function ConnectPayoutAccount({ label }: { label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function connect() {
    setBusy(true);
    setError(null);
    const res = await apiFetch<{ onboardingUrl: string }>("/api/me/payout-account", { method: "POST" });
    if (res.ok) {
      window.location.assign(res.data.onboardingUrl);
      return;
    }
    setError(res.error.message);
    setBusy(false);
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
