"use client";

import { useId } from "react";
import { dismissReportAction, moderateCampaignAction } from "@/app/actions/moderation";
import { apiErrorOf, describeError } from "./api";
import { useActionForm } from "./useActionForm";

/**
 * One decision of the /admin queue on a campaign (`moderateCampaignAction`): "suspend" and "close" (for abuse)
 * open a disclosure asking for the reason they require; "reinstate" is a button. Works without JavaScript.
 */
export function ModerateCampaign({
  campaignId,
  decision,
  label,
  title,
}: {
  campaignId: string;
  decision: "suspend" | "reinstate" | "close";
  label: string;
  /** The campaign's title, naming the control for assistive technology. */
  title: string;
}) {
  const reasonId = useId();
  const { state, pending, form } = useActionForm(moderateCampaignAction, undefined);
  const error = state && !state.ok ? describeError(apiErrorOf(state.error)) : undefined;
  const alert = error && (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
  if (decision === "reinstate")
    return (
      <form className="moderation-actions" {...form}>
        <input type="hidden" name="campaignId" value={campaignId} />
        <input type="hidden" name="decision" value="reinstate" />
        <button type="submit" className="btn btn-primary" disabled={pending} aria-label={`${label}: ${title}`}>
          {pending ? "Saving…" : label}
        </button>
        {alert}
      </form>
    );
  return (
    <details>
      <summary className="btn btn-danger moderate-summary" aria-label={`${label}: ${title}`}>
        {label}
      </summary>
      <form className="stacked-form" {...form}>
        <input type="hidden" name="campaignId" value={campaignId} />
        <input type="hidden" name="decision" value={decision} />
        <label htmlFor={reasonId}>
          {decision === "close"
            ? "Reason (required; kept with the campaign and its refunds)"
            : "Reason (required; shown to the creator and admins only)"}
        </label>
        <textarea id={reasonId} name="reason" required minLength={3} maxLength={1000} rows={2} />
        <p className="muted small">
          {decision === "close"
            ? "The campaign ends, is never paid out, and every contribution is refunded in full."
            : "Giving is paused and payouts are frozen until an admin reinstates the campaign."}
        </p>
        <button type="submit" className="btn btn-danger" disabled={pending}>
          {pending ? "Saving…" : decision === "close" ? "Close and refund everyone" : "Suspend campaign"}
        </button>
        {alert}
      </form>
    </details>
  );
}

/** "Dismiss" of one open report (`dismissReportAction`), with an optional note kept in the audit log. */
export function DismissReport({ reportId }: { reportId: string }) {
  const noteId = useId();
  const { state, pending, form } = useActionForm(dismissReportAction, undefined);
  const error = state && !state.ok ? describeError(apiErrorOf(state.error)) : undefined;
  return (
    <form className="dismiss-report" {...form}>
      <input type="hidden" name="reportId" value={reportId} />
      <label htmlFor={noteId} className="visually-hidden">
        Note for the audit log (optional)
      </label>
      <input id={noteId} name="note" maxLength={1000} placeholder="Note (optional)" />
      <button type="submit" className="btn btn-secondary" disabled={pending}>
        {pending ? "Dismissing…" : "Dismiss"}
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
