import { NextResponse } from "next/server";
import { ZodError, type z } from "zod";
import type { Operation } from "@/lib/api/operations";
import { AppError, DATABASE_RETRY_AFTER_SECONDS, errorBody, isDatabaseUnavailable, unavailableCause } from "@/lib/errors";
import { INVALID_FIELDS, zodDetails } from "@/lib/forms";
import { logger } from "@/lib/log";

export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** Read a JSON body: 415 unless JSON, 413 over 1 MB (also for chunked bodies), 400 when unparsable or invalid. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
  const text = await readCapped(req, MAX_JSON_BODY_BYTES);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AppError("INVALID_JSON", "The body is not valid JSON");
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export function validationError(err: ZodError): AppError {
  return new AppError("VALIDATION_FAILED", INVALID_FIELDS, zodDetails(err));
}

/** Read a raw text body (e.g. a webhook, whose signature covers the exact bytes), capped at `max` bytes (413). */
export async function readText(req: Request, max: number): Promise<string> {
  return readCapped(req, max);
}

async function readCapped(req: Request, max: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge(max);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(max: number) {
  return new AppError("PAYLOAD_TOO_LARGE", `The body is larger than ${max} bytes`);
}

export function json(data: unknown, init?: { status?: number; headers?: HeadersInit }) {
  return NextResponse.json(data, { status: init?.status ?? 200, headers: init?.headers });
}

/**
 * Any error as the API answers it: an `AppError` as it is, a `ZodError` as VALIDATION_FAILED, the database
 * being down or restarting as a retryable 503 DATABASE_UNAVAILABLE with Retry-After (a warning in the log,
 * not an unexpected error), anything else as a generic INTERNAL_ERROR (logged with `context`, never shown).
 * Route handlers and server actions share it.
 */
export function publicError(err: unknown, context: Record<string, unknown>): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return validationError(err);
  if (isDatabaseUnavailable(err)) return databaseUnavailable(err, context);
  logger().error({ err, ...context }, "unexpected error");
  return new AppError("INTERNAL_ERROR", "Something went wrong on our side");
}

/**
 * The 503 of a database outage. Logged as one short warning (the driver's code and message, not the failed
 * query and its parameters): an outage answers many requests at once and is the operator's news, not a bug.
 */
export function databaseUnavailable(err: unknown, context: Record<string, unknown> = {}): AppError {
  logger().warn({ ...context, cause: unavailableCause(err) }, "database unavailable");
  return new AppError("DATABASE_UNAVAILABLE", "The database is unavailable for a moment; retry shortly", undefined, {
    "retry-after": String(DATABASE_RETRY_AFTER_SECONDS),
  });
}

export function errorResponse(err: unknown, requestId?: string): NextResponse {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (requestId) headers["x-request-id"] = requestId;
  const e = publicError(err, { requestId });
  Object.assign(headers, e.headers);
  return NextResponse.json(errorBody(e.code, e.message, e.details), { status: e.status, headers });
}

type Ctx<P> = { params: Promise<P> };

/**
 * Wrap a route handler: expected errors become their 4xx body, anything else a
 * generic 500 (details to the log only), and every request logs one line with its request ID.
 */
export function route<P = Record<string, unknown>>(handler: (req: Request, params: P, requestId: string) => Promise<Response>) {
  return async (req: Request, ctx: Ctx<P>): Promise<Response> => {
    const started = performance.now();
    const requestId = req.headers.get("x-request-id") ?? crypto.randomUUID();
    let res: Response;
    try {
      res = await handler(req, (await ctx.params) ?? ({} as P), requestId);
      res.headers.set("x-request-id", requestId);
    } catch (err) {
      res = errorResponse(err, requestId);
    }
    logger().info(
      {
        requestId,
        method: req.method,
        path: new URL(req.url).pathname,
        status: res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
    return res;
  };
}

/**
 * Build the handler of a declared operation (lib/api/operations): `body()` reads and validates the JSON
 * body with the declared schema (415, 413, 400 as `readJson`); the handler calls it after authenticating,
 * so an anonymous request is a 401 whatever its body. Errors and logging as `route`.
 */
type BodyOf<O> = O extends { body: infer S extends z.ZodType } ? z.infer<S> : never;

export function operation<O extends Operation, P = Record<string, unknown>>(
  declared: O,
  handler: (req: Request, params: P, ctx: { body: () => Promise<BodyOf<O>>; requestId: string }) => Promise<Response>,
) {
  return route<P>((req, params, requestId) =>
    handler(req, params, {
      requestId,
      body: async () => {
        if (!declared.body) throw new Error("this operation declares no request body");
        return (await readJson(req, declared.body)) as BodyOf<O>;
      },
    }),
  );
}

/** Handlers for the methods a route does not support: a JSON 405 instead of Next.js's empty one. */
export function methodNotAllowed(allowed: string[]) {
  const h = route(async () => {
    throw new AppError("METHOD_NOT_ALLOWED", `Use ${allowed.join(", ")}`);
  });
  return { GET: h, POST: h, PUT: h, PATCH: h, DELETE: h };
}
