"use client";

import { useId } from "react";
import { changeCampaignStatusAction, closeCampaignForAbuseAction } from "@/app/actions/campaigns";
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
  /** Show the admin's "Close for abuse…" action (an admin viewing a campaign not closed for abuse yet). */
  canCloseForAbuse?: boolean;
}

/** Status buttons for the campaign's creator (and admins): a form per panel, the pressed button's status is sent. */
export function OwnerPanel({ campaignId, status, heading, moves, canCloseForAbuse }: Props) {
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
      {canCloseForAbuse && <CloseForAbuse campaignId={campaignId} />}
    </section>
  );
}

/**
 * The admin's "Close for abuse…": a reason, then a confirmation (the browser's dialog once hydrated) before
 * the campaign is ended for good and every contribution refunded.
 */
function CloseForAbuse({ campaignId }: { campaignId: string }) {
  const reasonId = useId();
  const { state, pending, form } = useActionForm(closeCampaignForAbuseAction, undefined, () =>
    window.confirm(
      "Close this campaign for abuse? It ends now, is never paid out, and every contribution is refunded in full. This cannot be undone.",
    ),
  );
  const error = state && !state.ok ? describeError(apiErrorOf(state.error)) : undefined;
  return (
    <details className="close-for-abuse">
      <summary className="btn btn-danger">Close for abuse…</summary>
      <form {...form}>
        <input type="hidden" name="campaignId" value={campaignId} />
        <label htmlFor={reasonId}>Reason (kept with the campaign and its refunds)</label>
        <textarea id={reasonId} name="reason" required minLength={3} maxLength={1000} rows={3} />
        <p className="muted small">The campaign ends, is never paid out, and every contribution is refunded in full.</p>
        <button type="submit" className="btn btn-danger" disabled={pending}>
          {pending ? "Closing…" : "Close and refund everyone"}
        </button>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </details>
  );
}
