"use client";

import { changeCampaignStatusAction } from "@/app/actions/campaigns";
import { apiErrorOf, describeError } from "./api";
import { STATUS_LABELS } from "./format";
import { useActionForm } from "./useActionForm";

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

/** Status buttons for the campaign's creator (and admins): a form per panel, the pressed button's status is sent. */
export function OwnerPanel({ campaignId, status, heading, moves }: Props) {
  const { state, pending, submitted, form } = useActionForm(changeCampaignStatusAction, undefined);
  const error = state && !state.ok ? describeError(apiErrorOf(state.error)) : undefined;

  return (
    <section className="card owner-panel" aria-labelledby="owner-panel-heading">
      <h2 id="owner-panel-heading">{heading}</h2>
      <p className="muted small">
        Status: <strong>{STATUS_LABELS[status] ?? status}</strong>
      </p>
      <form className="actions" {...form}>
        <input type="hidden" name="campaignId" value={campaignId} />
        {moves.map((m) => (
          <button
            key={m.status}
            type="submit"
            name="status"
            value={m.status}
            className={m.primary ? "btn btn-primary" : m.status === "active" ? "btn btn-secondary" : "btn btn-danger"}
            disabled={pending}
          >
            {pending && submitted?.get("status") === m.status ? "Saving…" : m.label}
          </button>
        ))}
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
