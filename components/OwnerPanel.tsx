"use client";

import { useId } from "react";
import { changeCampaignStatusAction, closeCampaignForAbuseAction } from "@/app/actions/campaigns";
import { apiErrorOf, describeError } from "./api";
import { Field } from "./Field";
import { STATUS_LABELS } from "./format";
import { CAMPAIGN_FIELDS, formErrors } from "./formErrors";
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

interface Confirmation {
  summary: string;
  explain: string;
  reason: string;
  submit: string;
}

/**
 * What a move that stops giving asks before it is made (the disclosure's button, the explanation, the reason's
 * label), by the move and the status it leaves; undefined for a move made at once (publish, reopen, reinstate).
 */
function confirmationOf(to: Move["status"], from: string): Confirmation | undefined {
  if (to === "suspended")
    return {
      summary: "Suspend…",
      explain:
        "Giving is paused and payouts are frozen until an admin reinstates the campaign. Donors only see that it is suspended.",
      reason: "Reason (required; shown to the creator and admins only)",
      submit: "Suspend campaign",
    };
  if (to !== "ended") return undefined;
  if (from === "suspended")
    return {
      summary: "End campaign…",
      explain: "The campaign ends for good: its creator cannot reopen it, and its payouts stay frozen.",
      reason: "Reason (optional; shown to the creator and admins only)",
      submit: "End campaign now",
    };
  return {
    summary: "End campaign…",
    explain:
      "Giving stops at once. You can reopen the campaign until its end date if you change your mind; money already given stays and is paid out as usual.",
    reason: "Reason (optional; shown on the campaign page)",
    submit: "End campaign now",
  };
}

/**
 * Status controls for the campaign's creator (and admins). Moves that open giving again (publish, reopen,
 * reinstate) are buttons of one form, the pressed button's status sent; moves that stop it (end, suspend) each
 * open a form of their own asking for confirmation and a reason (required to suspend).
 */
export function OwnerPanel({ campaignId, status, heading, moves, canCloseForAbuse }: Props) {
  const { state, pending, submitted, form } = useActionForm(changeCampaignStatusAction, undefined);
  const error = state && !state.ok ? describeError(apiErrorOf(state.error)) : undefined;
  const direct = moves.filter((m) => !confirmationOf(m.status, status));

  return (
    <section className="card owner-panel" aria-labelledby="owner-panel-heading">
      <h2 id="owner-panel-heading">{heading}</h2>
      <p className="muted small">
        Status: <strong>{STATUS_LABELS[status] ?? status}</strong>
      </p>
      {direct.length > 0 && (
        <form className="actions" {...form}>
          <input type="hidden" name="campaignId" value={campaignId} />
          {direct.map((m) => (
            <button
              key={m.status}
              type="submit"
              name="status"
              value={m.status}
              className={m.primary ? "btn btn-primary" : "btn btn-secondary"}
              disabled={pending}
            >
              {pending && submitted?.get("status") === m.status ? "Saving…" : m.label}
            </button>
          ))}
        </form>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {moves.map((m) => {
        const ask = confirmationOf(m.status, status);
        return ask && <ConfirmMove key={m.status} campaignId={campaignId} status={m.status} {...ask} />;
      })}
      {canCloseForAbuse && <CloseForAbuse campaignId={campaignId} />}
    </section>
  );
}

/** A move that stops giving: opened, explained, with its reason field, and made only by its own button. */
function ConfirmMove({
  campaignId,
  status,
  summary,
  explain,
  reason,
  submit,
}: { campaignId: string; status: Move["status"] } & Confirmation) {
  const reasonId = useId();
  const { state, pending, form } = useActionForm(changeCampaignStatusAction, undefined);
  const { fields, form: formError } = formErrors(state && !state.ok ? state.error : undefined, CAMPAIGN_FIELDS);
  const required = status === "suspended";
  return (
    <details className="confirm-move">
      <summary className="btn btn-danger">{summary}</summary>
      <form {...form} noValidate>
        <input type="hidden" name="campaignId" value={campaignId} />
        <input type="hidden" name="status" value={status} />
        <p className="muted small">{explain}</p>
        <Field id={reasonId} label={reason} error={fields.reason}>
          <textarea name="reason" required={required} minLength={3} maxLength={1000} rows={3} />
        </Field>
        {formError && (
          <p className="form-error" role="alert">
            {formError}
          </p>
        )}
        <button type="submit" className="btn btn-danger" disabled={pending}>
          {pending ? "Saving…" : submit}
        </button>
      </form>
    </details>
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
