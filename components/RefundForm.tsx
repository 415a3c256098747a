"use client";

import { refundAction } from "@/app/actions/refunds";
import { apiErrorOf, describeError } from "./api";
import { formatMoney } from "./format";
import { useActionForm } from "./useActionForm";

interface Props {
  contributionId: string;
  currency: string;
  /** Minor units still refundable, as the page read them. */
  remaining: number;
  /** The donor as the creator may see them: their name, or "Anonymous". */
  donor: string;
  anonymous: boolean;
  /** Made when the page was rendered: submitting the same confirmation twice refunds once. */
  idempotencyKey: string;
  /** False once nothing remains to refund: only the last refund's result is shown. */
  refundable: boolean;
}

/**
 * A contribution's Refund action on the creator's contributions page: an optional partial amount and
 * reason, then "Refund $X to <donor>?" to confirm before any money moves, then the refund's result.
 * Each step is a form posted to the server action, so it works without JavaScript too.
 */
export function RefundForm({ contributionId, currency, remaining, donor, anonymous, idempotencyKey, refundable }: Props) {
  const { state, pending, submitted, form } = useActionForm(refundAction, undefined);
  const m = (n: number) => formatMoney(n, currency);
  const to = anonymous ? "the anonymous donor" : donor;
  const error = state && !state.ok ? apiErrorOf(state.error) : undefined;
  const typed = state && !state.ok ? state.values : undefined;
  const amountIssue = error?.details.find((d) => d.field === "amount");
  const amountError = amountIssue ? `Amount ${amountIssue.message}` : undefined;
  const formError = error && !amountIssue ? describeError(error) : undefined;
  const ids = { amount: `refund-amount-${contributionId}`, reason: `refund-reason-${contributionId}` };

  if (state?.ok && state.data.step === "confirm") {
    const c = state.data;
    return (
      <form className="refund-confirm" {...form} aria-label={`Confirm the refund to ${to}`}>
        <input type="hidden" name="contributionId" value={contributionId} />
        <input type="hidden" name="idempotencyKey" value={c.key} />
        <input type="hidden" name="amountMinor" value={c.amount} />
        <input type="hidden" name="reason" value={c.reason} />
        <p>
          <strong>
            Refund {m(c.amount)} to {to}?
          </strong>
          {c.reason && <span className="muted small"> Reason: {c.reason}</span>}
        </p>
        <p className="muted small">The money goes back to the donor&apos;s card; this cannot be undone.</p>
        <div className="actions">
          <button type="submit" name="intent" value="confirm" className="btn btn-danger btn-small" disabled={pending}>
            {pending && submitted?.get("intent") === "confirm" ? "Refunding…" : "Confirm refund"}
          </button>
          <button type="submit" name="intent" value="cancel" className="btn btn-ghost btn-small" disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    );
  }

  const done = state?.ok && state.data.step === "done" ? state.data.refund : undefined;
  return (
    <div className="refund-action">
      {done && (
        <div
          className={`result-panel ${done.status === "succeeded" ? "result-success" : done.status === "failed" ? "result-error" : "result-pending"}`}
          role="status"
          data-testid="refund-result"
        >
          <p>
            {done.status === "succeeded"
              ? `Refunded ${m(done.amount)} to ${to}.`
              : done.status === "failed"
                ? `The refund of ${m(done.amount)} failed: ${done.failure?.message ?? "the payment provider refused it"}.`
                : `Refund of ${m(done.amount)} pending: the payment provider is processing it.`}
          </p>
        </div>
      )}
      {refundable && (
        <details className="refund-details" open={Boolean(error)}>
          <summary className="btn btn-secondary btn-small">Refund…</summary>
          <form className="form refund-form" {...form} noValidate aria-label={`Refund ${to}`}>
            <input type="hidden" name="contributionId" value={contributionId} />
            <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
            <input type="hidden" name="currency" value={currency} />
            <input type="hidden" name="remaining" value={remaining} />
            <div className={amountError ? "field has-error" : "field"}>
              <label htmlFor={ids.amount}>Amount to refund (optional)</label>
              <input
                id={ids.amount}
                name="amount"
                type="text"
                inputMode="decimal"
                autoComplete="off"
                placeholder={m(remaining)}
                defaultValue={typed?.amount}
                aria-invalid={amountError ? true : undefined}
                aria-describedby={amountError ? `${ids.amount}-error` : `${ids.amount}-hint`}
              />
              {amountError ? (
                <p id={`${ids.amount}-error`} className="field-error" role="alert">
                  {amountError}
                </p>
              ) : (
                <p id={`${ids.amount}-hint`} className="hint">
                  Leave empty to refund all {m(remaining)} that remains.
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor={ids.reason}>Reason (optional)</label>
              <input id={ids.reason} name="reason" type="text" maxLength={500} defaultValue={typed?.reason} />
            </div>
            <button type="submit" name="intent" value="review" className="btn btn-secondary btn-small" disabled={pending}>
              {pending ? "Checking…" : "Review refund"}
            </button>
            {formError && (
              <p className="form-error" role="alert">
                {formError}
              </p>
            )}
          </form>
        </details>
      )}
      {!refundable && formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
    </div>
  );
}
