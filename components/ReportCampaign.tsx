"use client";

import Link from "next/link";
import { useId } from "react";
import { reportCampaignAction } from "@/app/actions/moderation";
import { Field } from "./Field";
import { formErrors } from "./formErrors";
import { useActionForm } from "./useActionForm";

const REASONS = [
  { value: "fraud", label: "Fraud or a scam" },
  { value: "misleading", label: "Misleading story or goal" },
  { value: "inappropriate", label: "Inappropriate content" },
  { value: "spam", label: "Spam" },
  { value: "other", label: "Something else" },
];

/**
 * "Report this campaign" on a campaign page: for a signed-in viewer who is not its creator, a disclosure with a
 * reason and optional details, posted to `reportCampaignAction` (works without JavaScript). A viewer without a
 * session (the cached page) gets a "Sign in to report" link instead.
 */
export function ReportCampaign({ campaignId, signedIn }: { campaignId: string; signedIn: boolean }) {
  if (!signedIn)
    return (
      <p className="small report-campaign">
        <Link href={`/signin?callbackUrl=/campaigns/${campaignId}`}>Sign in to report this campaign</Link>
      </p>
    );
  return <ReportForm campaignId={campaignId} />;
}

function ReportForm({ campaignId }: { campaignId: string }) {
  const reasonId = useId();
  const detailsId = useId();
  const { state, pending, form } = useActionForm(reportCampaignAction, undefined);
  const failed = state && !state.ok ? state.error : undefined;
  const { fields, form: error } = formErrors(failed, { reason: ["reason", "Reason"], details: ["details", "Details"] });
  return (
    <details className="card report-campaign" open={state !== undefined}>
      <summary className="report-summary">Report this campaign</summary>
      {state?.ok ? (
        <p role="status" data-testid="report-done">
          {state.data.created
            ? "Thank you: the admins will review this campaign."
            : "You have reported this campaign already; the admins will review it."}
        </p>
      ) : (
        <form className="stacked-form" {...form}>
          <input type="hidden" name="campaignId" value={campaignId} />
          <Field id={reasonId} label="Reason" error={fields.reason}>
            <select name="reason" required defaultValue="">
              <option value="" disabled>
                Choose a reason
              </option>
              {REASONS.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </Field>
          <Field id={detailsId} label="Details (optional)" error={fields.details}>
            <textarea name="details" maxLength={2000} rows={3} />
          </Field>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn-secondary" disabled={pending}>
            {pending ? "Sending…" : "Send report"}
          </button>
        </form>
      )}
    </details>
  );
}
