import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { sessionUser } from "@/lib/auth/session";
import { AppError, type ErrorCode } from "@/lib/errors";
import { checkForm, type FormCheck, formText, INVALID_FIELDS } from "@/lib/forms";
import { publicError } from "@/lib/http";
import type { AmountInput } from "@/lib/money/input";
import type { PublicUser } from "@/lib/users";

/** An error of a server action: exactly the `error` object the JSON API answers for the same failure. */
export interface ActionError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** What every server action answers (serialisable): its data, or the API's error. */
export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: ActionError };

/**
 * Run the body of server action `name` and answer its result: an `AppError` or `ZodError` becomes the
 * error the API answers (lib/http `publicError`), anything else a logged INTERNAL_ERROR without its stack.
 * Next.js's own control-flow errors (`redirect()`, `notFound()`) are rethrown untouched.
 */
export async function runAction<T>(name: string, body: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await body() };
  } catch (err) {
    unstable_rethrow(err);
    const e = publicError(err, { action: name });
    const error: ActionError = { code: e.code, message: e.message };
    if (e.details !== undefined) error.details = e.details;
    return { ok: false, error };
  }
}

/** The signed-in user of a server action (session cookie); UNAUTHENTICATED, as the API answers, when none. */
export async function actionUser(): Promise<PublicUser> {
  const user = await sessionUser();
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in or send an API token");
  return user;
}

export { formText };

/**
 * A form's input validated with the API's own schema (lib/forms.ts `checkForm`, which names the `amounts`
 * typed as text): VALIDATION_FAILED with every failing field, as the API answers.
 */
export function parseForm<S extends z.ZodType>(
  schema: S,
  input: Record<string, unknown>,
  amounts: Record<string, AmountInput> = {},
): z.infer<S> {
  return validated(checkForm(schema, input, amounts));
}

/** A checked form's data, or VALIDATION_FAILED with every failing field, as the API answers. */
export function validated<T>(checked: FormCheck<T>): T {
  if (checked.ok) return checked.data;
  throw new AppError("VALIDATION_FAILED", INVALID_FIELDS, checked.details);
}
