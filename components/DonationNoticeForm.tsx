"use client";

import { setDonationNoticeAction } from "@/app/actions/notifications";
import type { DonationNotice } from "@/lib/mail/preferences";
import { apiErrorOf, describeError } from "./api";
import { useActionForm } from "./useActionForm";

const CHOICES: { value: DonationNotice; label: string; hint: string }[] = [
  { value: "each", label: "An email for each donation", hint: "as soon as the payment succeeds" },
  { value: "daily", label: "A daily digest", hint: "one email the next morning listing the day's donations" },
  { value: "off", label: "No donation emails", hint: "receipts and payout emails still arrive" },
];

/** The creator's choice of donation emails: a radio group posted to a server action (works without JavaScript). */
export function DonationNoticeForm({ current }: { current: DonationNotice }) {
  const save = useActionForm(setDonationNoticeAction, undefined);
  const saved = save.state?.ok ? save.state.data.donationNotice : undefined;
  const error = save.state && !save.state.ok ? describeError(apiErrorOf(save.state.error)) : undefined;
  return (
    <form className="card form stack" {...save.form} aria-label="Donation emails">
      <fieldset className="bare-fieldset" disabled={save.pending}>
        <legend>When someone gives to one of your campaigns</legend>
        {CHOICES.map((c) => (
          <div key={c.value} className="field">
            <label>
              <input type="radio" name="donationNotice" value={c.value} defaultChecked={(saved ?? current) === c.value} />{" "}
              {c.label} <span className="muted small">({c.hint})</span>
            </label>
          </div>
        ))}
      </fieldset>
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.pending}>
          Save
        </button>
      </div>
      {saved && (
        <p role="status" className="muted">
          Saved.
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
