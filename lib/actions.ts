import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { sessionUser } from "@/lib/auth/session";
import { AppError, type ErrorCode } from "@/lib/errors";
import { publicError, zodDetails } from "@/lib/http";
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

/** A text field of a submitted form ("" when absent or a file). */
export function formText(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
}

/** The detail of an amount field whose text is not an amount (major units, e.g. "12.50"). */
export const NOT_AN_AMOUNT = "must be a number such as 25 or 12.50 (no more decimals than the currency uses)";

/**
 * A form's input validated with the API's own schema; VALIDATION_FAILED with every failing field, as the API
 * answers. `amounts` name the fields a person typed in major units and the form converted to minor units:
 * one left undefined (its text was no amount) fails with NOT_AN_AMOUNT instead of the schema's message.
 */
export function parseForm<S extends z.ZodType>(schema: S, input: Record<string, unknown>, amounts: string[] = []): z.infer<S> {
  const parsed = schema.safeParse(input);
  const notAmounts = amounts.filter((f) => input[f] === undefined);
  if (parsed.success && notAmounts.length === 0) return parsed.data;
  const details = (parsed.success ? [] : zodDetails(parsed.error)).filter((d) => !notAmounts.includes(d.field));
  for (const field of notAmounts) details.push({ field, message: NOT_AN_AMOUNT });
  throw new AppError("VALIDATION_FAILED", "Some fields are invalid", details);
}
