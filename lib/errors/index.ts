/**
 * The catalogue of expected errors (docs/architecture.md, request path): a stable machine-readable
 * code and the HTTP status it maps to. Domain code throws `AppError`; the one
 * mapper in lib/http turns it into `{ error: { code, message, details? } }`.
 */
export const ERRORS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  MALFORMED_URL: 400,
  /** Not parsable as HTTP (answered by the server before any handler: scripts/start.ts). */
  MALFORMED_REQUEST: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  CROSS_ORIGIN_REQUEST: 403,
  NOT_FOUND: 404,
  CAMPAIGN_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  ASSET_NOT_FOUND: 404,
  UPLOAD_NOT_FOUND: 404,
  IDEMPOTENCY_KEY_MISSING: 400,
  AMOUNT_OUT_OF_RANGE: 400,
  /** The provider cannot charge this amount as is (lib/money/currency.ts `chargeProblem`: e.g. KWD not ending in 0). */
  AMOUNT_NOT_CHARGEABLE: 400,
  INVALID_SIGNATURE: 400,
  /** An unsubscribe link's token is missing, malformed or not signed by this app (lib/mail/unsubscribe.ts). */
  UNSUBSCRIBE_TOKEN_INVALID: 400,
  CONTRIBUTION_NOT_FOUND: 404,
  REFUND_NOT_FOUND: 404,
  REPORT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  IDEMPOTENCY_KEY_IN_USE: 409,
  INVALID_STATUS_TRANSITION: 409,
  CAMPAIGN_CLOSED: 409,
  /** A draft cannot post updates (lib/campaigns/updates.ts): nobody could read them yet. */
  CAMPAIGN_NOT_PUBLISHED: 409,
  CAMPAIGN_NOT_CLOSED_FOR_ABUSE: 409,
  /** The report was dismissed or actioned already (lib/moderation `dismissReport`). */
  REPORT_NOT_OPEN: 409,
  CONTRIBUTION_NOT_REFUNDABLE: 409,
  CONTRIBUTION_DISPUTED: 409,
  REFUND_EXCEEDS_CONTRIBUTION: 409,
  PROVIDER_MISMATCH: 409,
  PAYOUT_RUN_IN_PROGRESS: 409,
  PAYOUT_DATE_INVALID: 400,
  PAYOUT_CUTOFF_NOT_REACHED: 409,
  ASSET_LIMIT_REACHED: 409,
  /** A direct upload's object was replaced after it was checked (lib/assets/direct.ts `adoptUpload`). */
  UPLOAD_CHANGED: 409,
  /** The user holds API_TOKENS_MAX_PER_USER active tokens already (revoke one first). */
  TOKEN_LIMIT_REACHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** The upload would take its user past STORAGE_QUOTA_BYTES_PER_USER (lib/assets `assertQuota`). */
  STORAGE_QUOTA_EXCEEDED: 413,
  RANGE_NOT_SATISFIABLE: 416,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The request line and headers pass Node.js's limit (16 KB; answered by the server: scripts/start.ts). */
  HEADERS_TOO_LARGE: 431,
  CURRENCY_IMMUTABLE: 422,
  CURRENCY_MISMATCH: 422,
  /** The configured payment provider cannot charge in this currency (e.g. XDR). */
  CURRENCY_NOT_SUPPORTED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  /** Too many declined payments from this user, client IP or card (lib/payments/card-testing.ts); Retry-After says when. */
  CARD_TESTING_SUSPECTED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  /**
   * PostgreSQL is restarting, unreachable or refusing connections (lib/errors/database.ts `isDatabaseUnavailable`):
   * retryable, with Retry-After; nothing was changed unless the request is idempotent and retried.
   */
  DATABASE_UNAVAILABLE: 503,
  PAYOUT_PROVIDER_UNAVAILABLE: 503,
  PAYMENT_PROVIDER_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** One failing field of a VALIDATION_FAILED error; `code` names the reason where a form field has several (AMOUNT_AMBIGUOUS, …). */
export interface FieldIssue {
  field: string;
  message: string;
  code?: string;
}

/**
 * Make `instanceof` of an error class hold across copies of its module. Next.js bundles the proxy,
 * the instrumentation hook and the routes separately, and `npm start`'s launcher loads its own copy:
 * an error thrown by a dependency the composition root (lib/app) built in one copy is caught in
 * another, where a plain prototype check would miss it and turn a 4xx into a 500.
 */
export function brand<T extends new (...args: never[]) => Error>(cls: T, name: string): T {
  const mark = Symbol.for(`crowdfund.error.${name}`);
  Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (x: unknown) => typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[mark] === true,
  });
  return cls;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Response headers that go with the answer (e.g. Retry-After of a 429). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "AppError";
    this.status = ERRORS[code];
  }
}
brand(AppError, "AppError");

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable, unavailableCause } from "./database";
