/**
 * Forms checked with the API's own schemas, in the server actions and in the browser before sending (pure: no
 * server modules), so both report the same issues for the same input, every failing field at once.
 */
import type { ZodError, z } from "zod";
import type { FieldIssue } from "@/lib/errors";
import type { AmountInput } from "@/lib/money/input";

/** The message of VALIDATION_FAILED, whoever finds the invalid fields (the API, a server action, the browser). */
export const INVALID_FIELDS = "Some fields are invalid";

/** A text field of a submitted form ("" when absent or a file). */
export function formText(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
}

/** A ZodError's issues as the API's details: `{ field: "goalAmount", message: "must be positive" }`. */
export function zodDetails(err: ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
}

/** A form's input checked: the schema's output, or every failing field's issue (API field names). */
export type FormCheck<T> = { ok: true; data: T } | { ok: false; details: FieldIssue[] };

/**
 * Check `input` (a form's fields under the API's names) with `schema`. `amounts` are the fields a person typed
 * as text and lib/money/input.ts `parseAmountInput` read (API field name → its result): a parsed one enters the
 * input as integer minor units; a refused one fails with the parser's sentence and code (e.g. AMOUNT_AMBIGUOUS)
 * instead of the schema's message. Never throws.
 */
export function checkForm<S extends z.ZodType>(
  schema: S,
  input: Record<string, unknown>,
  amounts: Record<string, AmountInput> = {},
): FormCheck<z.infer<S>> {
  const full = { ...input };
  for (const [field, a] of Object.entries(amounts)) full[field] = a.ok ? a.amount : undefined;
  const parsed = schema.safeParse(full);
  const refused = Object.entries(amounts).flatMap(([field, a]) => (a.ok ? [] : [{ field, message: a.message, code: a.code }]));
  if (parsed.success && refused.length === 0) return { ok: true, data: parsed.data };
  const details = parsed.success ? [] : zodDetails(parsed.error).filter((d) => !refused.some((r) => r.field === d.field));
  return { ok: false, details: [...details, ...refused] };
}
