"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { apiFetch, describeError } from "./api";
import { STATUS_LABELS } from "./format";

export interface Move {
  status: "draft" | "active" | "ended" | "suspended";
  label: string;
  primary?: boolean;
}

interface Props {
  campaignId: string;
  status: string;
  heading: string;
  moves: Move[];
}

/** Status buttons for the campaign's creator (and admins): PATCH, then re-render the page. */
export function OwnerPanel({ campaignId, status, heading, moves }: Props) {
  const router = useRouter();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();

  async function move(m: Move) {
    setBusy(m.status);
    setError(undefined);
    const res = await apiFetch(`/api/campaigns/${campaignId}`, { method: "PATCH", body: { status: m.status } });
    setBusy(undefined);
    if (!res.ok) {
      setError(describeError(res.error));
      return;
    }
    startTransition(() => router.refresh());
  }

  return (
    <section className="card owner-panel" aria-labelledby="owner-panel-heading">
      <h2 id="owner-panel-heading">{heading}</h2>
      <p className="muted small">
        Status: <strong>{STATUS_LABELS[status] ?? status}</strong>
      </p>
      <div className="actions">
        {moves.map((m) => (
          <button
            key={m.status}
            type="button"
            className={m.primary ? "btn btn-primary" : m.status === "active" ? "btn btn-secondary" : "btn btn-danger"}
            disabled={busy !== undefined || pending}
            onClick={() => void move(m)}
          >
            {busy === m.status ? "Saving…" : m.label}
          </button>
        ))}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
