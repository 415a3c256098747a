"use server";

import { refresh } from "next/cache";
import { type ActionError, type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db, services } from "@/lib/app";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { drainAfterSettle } from "@/lib/events/after-settle";
import { INVALID_FIELDS } from "@/lib/forms";
import { formatMoney } from "@/lib/money/currency";
import { parseAmountInput } from "@/lib/money/input";
import { refundContribution } from "@/lib/payments/refunds";
import { createRefundSchema, parseIdempotencyKey, type RefundDto } from "@/lib/payments/schemas";

/** A refund form's step: the amount to confirm (minor units), or the refund made. */
export type RefundStep =
  | { step: "confirm"; amount: number; reason: string; key: string }
  | { step: "done"; refund: RefundDto; replayed: boolean };

/** The refund form after a submission: its step, or the API's error with what was typed. Undefined: start again. */
export type RefundFormState =
  | Extract<ActionResult<RefundStep>, { ok: true }>
  | { ok: false; error: ActionError; values: { amount: string; reason: string } }
  | undefined;

/**
 * A contribution's refund from the creator's contributions page, in two steps, so that no money moves
 * before the person confirmed the exact amount (with or without JavaScript):
 * - `intent=review`: fields contributionId, currency, remaining (minor units still refundable, as the page
 *   showed it), amount (as typed, lib/money/input.ts; blank: all that remains), reason, idempotencyKey (made when the form
 *   was rendered). Answers the amount to confirm; nothing is recorded.
 * - `intent=confirm`: fields contributionId, amountMinor, reason, idempotencyKey (the reviewed one): what
 *   POST /api/contributions/{id}/refunds does, with the key scoped to the user, so submitting the same
 *   confirmation twice refunds once. The page is rendered again with the new status.
 * - `intent=cancel`: back to the first step.
 */
export async function refundAction(_prev: RefundFormState, form: FormData): Promise<RefundFormState> {
  const intent = formText(form, "intent");
  if (intent === "cancel") return undefined;
  const values = { amount: formText(form, "amount"), reason: formText(form, "reason").trim() };
  const r = await runAction<RefundStep>(intent === "confirm" ? "refundContribution" : "reviewRefund", async () => {
    const actor = await actionUser();
    const formKey = parseIdempotencyKey(formText(form, "idempotencyKey") || undefined);
    const contributionId = formText(form, "contributionId");
    if (intent === "confirm") {
      const amountText = formText(form, "amountMinor");
      const input = parseForm(createRefundSchema, {
        amount: /^\d+$/.test(amountText) ? Number(amountText) : undefined,
        ...(values.reason ? { reason: values.reason } : {}),
      });
      const result = await refundContribution(db(), services().payments, {
        actor,
        contributionId,
        key: `${actor.id}:${formKey}`,
        input,
      });
      if (!result.replayed) drainAfterSettle(db(), config(), result.body.campaignId);
      refresh();
      return { step: "done", refund: result.body, replayed: result.replayed };
    }
    const currency = formText(form, "currency");
    const remaining = Number(formText(form, "remaining"));
    const typed = values.amount.trim();
    const input = parseForm(
      createRefundSchema,
      { amount: remaining, ...(values.reason ? { reason: values.reason } : {}) },
      typed ? { amount: parseAmountInput(typed, currency) } : {},
    );
    const amount = input.amount ?? remaining;
    if (Number.isSafeInteger(remaining) && amount > remaining) {
      throw new AppError("VALIDATION_FAILED", INVALID_FIELDS, [
        { field: "amount", message: `must be at most ${formatMoney(remaining, currency)}` },
      ]);
    }
    return { step: "confirm", amount, reason: input.reason ?? "", key: formKey };
  });
  return r.ok ? r : { ...r, values };
}
