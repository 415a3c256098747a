/** Client-side JSON API helper: same-origin fetch, errors as `{ code, message, details }`. */
import type { ActionError } from "@/lib/actions";
import { ERRORS } from "@/lib/errors";

export interface FieldIssue {
  field: string;
  message: string;
}

export interface ApiError {
  status: number;
  code: string;
  message: string;
  details: FieldIssue[];
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; error: ApiError };

export async function apiFetch<T>(
  path: string,
  init?: { method?: string; body?: unknown; headers?: Record<string, string> },
): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init?.method ?? "GET",
      headers: {
        ...(init?.body === undefined
          ? { accept: "application/json" }
          : { "content-type": "application/json", accept: "application/json" }),
        ...init?.headers,
      },
      body: init?.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return {
      ok: false,
      error: { status: 0, code: "NETWORK_ERROR", message: "Could not reach the server. Check your connection.", details: [] },
    };
  }
  return readApiResult<T>(res, `Request failed (${res.status})`);
}

/** An answer of our API as a result: its JSON on success, else its `{ error }` body (`fallback` when it has none). */
export async function readApiResult<T>(res: Response, fallback: string): Promise<ApiResult<T>> {
  const body: unknown = await res.json().catch(() => undefined);
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  const err = (body as { error?: Partial<ApiError> } | undefined)?.error;
  return {
    ok: false,
    error: {
      status: res.status,
      code: err?.code ?? `HTTP_${res.status}`,
      message: err?.message ?? fallback,
      details: fieldIssues(err?.details),
    },
  };
}

/** A server action's error as the API's: with the HTTP status its code maps to (lib/errors). */
export function apiErrorOf(e: ActionError): ApiError {
  return { status: ERRORS[e.code], code: e.code, message: e.message, details: fieldIssues(e.details) };
}

function fieldIssues(details: unknown): FieldIssue[] {
  return Array.isArray(details) ? details.filter((d): d is FieldIssue => typeof d?.field === "string") : [];
}

/** Message for an error: a friendlier line for the common HTTP statuses. */
export function describeError(e: ApiError): string {
  if (e.status === 401) return "Your session has expired. Please sign in again.";
  if (e.status === 429) return "Too many requests. Please wait a moment and try again.";
  if (e.code === "DATABASE_UNAVAILABLE")
    return "We are unavailable for a moment (our database is restarting). Please retry shortly.";
  if (e.status >= 500) return "Something went wrong on our side. Please try again.";
  return e.message;
}
