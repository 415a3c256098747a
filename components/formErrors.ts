import type { ActionError } from "@/lib/actions";
import { apiErrorOf, describeError } from "./api";

/** An API field name → the form field that shows its error, and that field's label (the message's subject). */
export type FieldsOf = Record<string, [field: string, label: string]>;

/** The campaign forms' fields (new and edit), by the API's names. */
export const CAMPAIGN_FIELDS: FieldsOf = {
  title: ["title", "Title"],
  story: ["story", "Story"],
  goalAmount: ["goal", "Goal"],
  currency: ["currency", "Currency"],
  endsAt: ["endsAt", "End date"],
  reason: ["reason", "Reason"],
};

/**
 * A refused submission's errors: each field's first issue ("Title must be at least 3 characters"), keyed by the
 * form's field name, to show next to it; and what no field of `fieldsOf` shows (the error's message, other
 * fields' issues), to show above the form, or undefined when every issue has its field.
 */
export function formErrors(
  error: ActionError | undefined,
  fieldsOf: FieldsOf,
): { fields: Record<string, string>; form?: string } {
  if (!error) return { fields: {} };
  const e = apiErrorOf(error);
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const d of e.details) {
    const target = fieldsOf[d.field];
    if (target) fields[target[0]] ??= `${target[1]} ${d.message}`;
    else unplaced.push(d.field ? `${d.field}: ${d.message}` : d.message);
  }
  const placedAll = Object.keys(fields).length > 0 && unplaced.length === 0;
  return { fields, form: placedAll ? undefined : [describeError(e), ...unplaced].join(" ") };
}
