import type { z } from "zod";
import { directUploadRequestSchema, reorderAssetsSchema } from "@/lib/assets/schemas";
import { createTokenSchema } from "@/lib/auth/schemas";
import { closeForAbuseSchema, createCampaignSchema, postUpdateSchema, updateCampaignSchema } from "@/lib/campaigns/schemas";
import { createReportSchema } from "@/lib/moderation/schemas";
import { contributeSchema, createRefundSchema } from "@/lib/payments/schemas";

/**
 * The JSON API's operations, declared once: each route handler is built from its declaration
 * (`operation(API.createCampaign, …)` in lib/http, which validates the body with the declared schema)
 * and `/api/openapi.json` is generated from the same declarations (lib/openapi). The key is the
 * operationId, the method name a generated client gives the operation: renaming one breaks clients.
 * `lib/api/operations.test.ts` checks that every declaration has exactly one handler at its path and
 * every JSON handler a declaration.
 *
 * Besides `method`, `path` and `body` (the zod schema of a JSON request body, published as a
 * component), the fields are OpenAPI 3.1 operation fields as they appear in the document.
 */
export interface Operation {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  /** The JSON request body, validated by the handler (415 unless JSON, 413 over 1 MB, 400 invalid). */
  body?: z.ZodType;
  summary: string;
  description?: string;
  /**
   * Omitted: bearer token or session cookie (a write with the cookie from another site's page is 403
   * CROSS_ORIGIN_REQUEST: lib/http/origin); `[]`: public.
   */
  security?: Record<string, string[]>[];
  parameters?: object[];
  requestBody?: object;
  responses: Record<string, object>;
}

export const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
export const jsonBody = (id: string) => ({ content: { "application/json": { schema: ref(id) } } });
const retryAfter = {
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 1 } },
};
/**
 * The error answers of an operation: each of `codes`, and always 503, which any operation that reads the database
 * may answer while PostgreSQL is restarting or unreachable (DATABASE_UNAVAILABLE, lib/errors/database.ts) or,
 * for those that call one, while a payment or payout provider is (…_PROVIDER_UNAVAILABLE). Retryable, with Retry-After.
 */
const errors = (...codes: number[]) => ({
  ...Object.fromEntries(codes.map((c) => [String(c), { description: `Error (${c})`, ...jsonBody("Error") }])),
  "503": {
    description: "Temporarily unavailable: the database (DATABASE_UNAVAILABLE) or a provider; retry after Retry-After seconds",
    headers: retryAfter,
    ...jsonBody("Error"),
  },
});
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const limitParam = { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } };
const cursorParam = { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" };
const listOf = (id: string) => ({
  content: {
    "application/json": { schema: { type: "object", properties: { items: { type: "array", items: ref(id) } } } },
  },
});
const binary = (types: string[]) => Object.fromEntries(types.map((t) => [t, { schema: { type: "string", format: "binary" } }]));

export const API = {
  createCampaign: {
    method: "post",
    path: "/api/campaigns",
    body: createCampaignSchema,
    summary: "Create a campaign",
    responses: {
      "201": { description: "Created (committed)", ...jsonBody("Campaign") },
      ...errors(400, 401, 403, 413, 415, 429),
    },
  },
  getCampaign: {
    method: "get",
    path: "/api/campaigns/{id}",
    summary: "Get a campaign by ID (drafts only for their creator)",
    security: [],
    parameters: [idParam],
    responses: { "200": { description: "The campaign", ...jsonBody("Campaign") }, ...errors(404, 429) },
  },
  updateCampaign: {
    method: "patch",
    path: "/api/campaigns/{id}",
    body: updateCampaignSchema,
    summary: "Change a campaign (its creator edits, publishes, ends and reopens; admins suspend with a reason and reinstate)",
    parameters: [idParam],
    responses: {
      "200": { description: "Updated", ...jsonBody("Campaign") },
      ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
    },
  },
  closeCampaignForAbuse: {
    method: "post",
    path: "/api/campaigns/{id}/close-for-abuse",
    body: closeForAbuseSchema,
    summary: "Close a campaign for abuse: end it, never pay it out, refund every contribution (admins)",
    description:
      "Records the decision at once (status ended, payouts frozen for good, the reason kept) and answers 202: the refunds are made by the close-for-abuse job, in the background by the scheduler role or by `npm run cli -- campaigns close-for-abuse`. Every contribution still paid is refunded in full, but those under an open dispute (refunded if the dispute is won). Idempotent: closing a campaign already closed changes nothing.",
    parameters: [idParam],
    responses: {
      "202": { description: "Closed; its refunds are on their way", ...jsonBody("Campaign") },
      ...errors(400, 401, 403, 404, 413, 415, 429),
    },
  },
  createCampaignReport: {
    method: "post",
    path: "/api/campaigns/{id}/reports",
    body: createReportSchema,
    summary: "Report a campaign to the admins (signed-in users; not your own campaign)",
    description:
      "A reason (fraud, misleading, inappropriate, spam, other) and optional details (at most 2,000 characters). One open report per user and campaign: reporting again while the first is open answers that report (200) unchanged; once an admin has dismissed or acted on it, a new report is made (201). Your own campaign: 403. A draft you cannot see: 404.",
    parameters: [idParam],
    responses: {
      "201": { description: "Reported", ...jsonBody("Report") },
      "200": { description: "Your open report of this campaign, as it was", ...jsonBody("Report") },
      ...errors(400, 401, 403, 404, 413, 415, 429),
    },
  },
  listAdminAudit: {
    method: "get",
    path: "/api/admin/audit",
    summary: "The admin audit log, newest first (admins)",
    description:
      "Every admin action (suspend, reinstate, end, close for abuse, dismiss a report, refund as an admin), written in the transaction that made the change. Keyset-paginated: pass the previous page's nextCursor as cursor. Filter by subject with subjectType and/or subjectId.",
    parameters: [
      { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 50 } },
      cursorParam,
      { name: "subjectType", in: "query", schema: { type: "string", enum: ["campaign", "report", "contribution"] } },
      { name: "subjectId", in: "query", schema: { type: "string" }, description: "e.g. a campaign's ID" },
    ],
    responses: { "200": { description: "A page", ...jsonBody("AuditPage") }, ...errors(400, 401, 403, 429) },
  },
  createContribution: {
    method: "post",
    path: "/api/campaigns/{id}/contributions",
    body: contributeSchema,
    summary: "Contribute to a campaign (sandbox or Stripe)",
    description:
      "Idempotent: the same Idempotency-Key with the same body returns the same answer (header Idempotent-Replayed: true); with a different body 422; while the first request still runs 409 (retry). A declined card is a 201 with status failed. Too many declines of this user, client IP or card within the window: 429 CARD_TESTING_SUSPECTED with Retry-After, before anything is recorded or charged.",
    parameters: [
      idParam,
      { name: "Idempotency-Key", in: "header", required: true, schema: { type: "string", minLength: 1, maxLength: 255 } },
    ],
    responses: {
      "201": { description: "Recorded; status succeeded, pending or failed", ...jsonBody("Contribution") },
      ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
    },
  },
  listCampaignContributions: {
    method: "get",
    path: "/api/campaigns/{id}/contributions",
    summary: "Recent succeeded contributions (public), newest first",
    security: [],
    parameters: [idParam, limitParam, { name: "cursor", in: "query", schema: { type: "string" } }],
    responses: { "200": { description: "A page", ...jsonBody("PublicContributionPage") }, ...errors(400, 404) },
  },
  exportCampaignContributions: {
    method: "get",
    path: "/api/campaigns/{id}/contributions/export",
    summary: "All of a campaign's contributions as CSV (creator or admin)",
    description:
      'Every contribution of the campaign, any status, oldest first, as RFC 4180 CSV in UTF-8 with a header row: contribution_id, created_at (ISO 8601), donor ("Anonymous" for anonymous gifts; no e-mail addresses), status, currency, amount_minor (integer minor units), amount (the same as a decimal), refunded_minor, message. Cells a spreadsheet would run as a formula start with an apostrophe. Streamed as it is read, so a campaign of any size downloads in one response. 404 to anyone but the campaign\'s creator and admins.',
    parameters: [idParam],
    responses: {
      "200": {
        description: "The CSV file (Content-Disposition: attachment)",
        content: { "text/csv": { schema: { type: "string" } } },
      },
      ...errors(401, 404, 429),
    },
  },
  postCampaignUpdate: {
    method: "post",
    path: "/api/campaigns/{id}/updates",
    body: postUpdateSchema,
    summary: "Post an update on a campaign (its creator), emailed to the donors who asked for updates",
    description:
      "Plain text (1–5000 characters, line breaks kept) and optionally one of the campaign's pictures (`assetId`: upload it first with POST /api/campaigns/{id}/assets). A draft cannot post (409 CAMPAIGN_NOT_PUBLISHED), nor a suspended campaign or one closed by the platform (409 CAMPAIGN_CLOSED); an ended one can. The update and the `campaign.update_posted` event are committed together; the donors who ticked \"Email me this campaign's updates\" get it by email shortly after.",
    parameters: [idParam],
    responses: {
      "201": { description: "Posted (committed)", ...jsonBody("CampaignUpdate") },
      ...errors(400, 401, 403, 404, 409, 413, 415, 429),
    },
  },
  listCampaignUpdates: {
    method: "get",
    path: "/api/campaigns/{id}/updates",
    summary: "A campaign's updates, newest first (public once the campaign is published)",
    security: [],
    parameters: [idParam, limitParam, cursorParam],
    responses: { "200": { description: "A page", ...jsonBody("CampaignUpdatePage") }, ...errors(400, 404, 429) },
  },
  uploadAsset: {
    method: "post",
    path: "/api/campaigns/{id}/assets",
    summary: "Upload a picture or video to a campaign (creator only)",
    description:
      "multipart/form-data with the file in the field `file`, streamed. The type comes from the file's bytes (JPEG, PNG, WebP, GIF, AVIF; MP4, WebM), never its name or declared type: anything else is a 415. Size limits per kind (ASSET_MAX_IMAGE_BYTES, default 10 MB; ASSET_MAX_VIDEO_BYTES, default 200 MB) answer 413 as soon as they are passed. Pictures lose their EXIF/XMP/IPTC metadata (GPS positions). A refused or interrupted upload leaves nothing behind.",
    parameters: [idParam],
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: { type: "object", required: ["file"], properties: { file: { type: "string", format: "binary" } } },
        },
      },
    },
    responses: {
      "201": { description: "Stored (committed)", ...jsonBody("Asset") },
      ...errors(400, 401, 403, 404, 409, 413, 415, 429),
    },
  },
  listCampaignAssets: {
    method: "get",
    path: "/api/campaigns/{id}/assets",
    summary: "A campaign's pictures and videos in display order (the first picture is the cover)",
    security: [],
    parameters: [idParam],
    responses: { "200": { description: "The assets", ...listOf("Asset") }, ...errors(404, 429) },
  },
  reorderCampaignAssets: {
    method: "patch",
    path: "/api/campaigns/{id}/assets",
    body: reorderAssetsSchema,
    summary: "Reorder a campaign's assets (creator only)",
    parameters: [idParam],
    responses: { "200": { description: "The new order", ...listOf("Asset") }, ...errors(400, 401, 403, 404, 409, 415, 429) },
  },
  createDirectUpload: {
    method: "post",
    path: "/api/campaigns/{id}/assets/uploads",
    body: directUploadRequestSchema,
    summary: "Where to upload a file of this size",
    description:
      "S3 storage and a file of ASSET_DIRECT_UPLOAD_BYTES or more: a presigned PUT straight to the bucket plus a completeUrl to POST afterwards. UploadThing storage: UploadThing's client flow at /api/uploadthing (route campaignAsset). Otherwise: the multipart POST.",
    parameters: [idParam],
    responses: {
      "200": { description: "The upload target", ...jsonBody("DirectUpload") },
      ...errors(400, 401, 403, 404, 409, 413, 415),
    },
  },
  completeDirectUpload: {
    method: "post",
    path: "/api/campaigns/{id}/assets/uploads/{uploadId}",
    summary: "Complete a presigned upload: the object is checked like any upload, then becomes an asset",
    parameters: [
      idParam,
      { name: "uploadId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
      { name: "token", in: "query", required: true, schema: { type: "string" }, description: "from completeUrl" },
    ],
    responses: { "201": { description: "Stored", ...jsonBody("Asset") }, ...errors(401, 403, 404, 409, 413, 415) },
  },
  getAsset: {
    method: "get",
    path: "/api/assets/{id}",
    summary: "An asset's bytes, or a resized variant of a picture",
    description:
      "Strong ETag (304 on If-None-Match), Range (206/416), X-Content-Type-Options: nosniff, Cache-Control public for shared caches once the campaign is published (drafts' assets: their creator only, private). `variant` gives a picture at most 320 (thumb), 800 (card) or 1600 (hero) pixels wide as AVIF or WebP (`format`, else negotiated from Accept), made once and kept.",
    security: [],
    parameters: [
      idParam,
      { name: "variant", in: "query", schema: { type: "string", enum: ["thumb", "card", "hero"] } },
      { name: "format", in: "query", schema: { type: "string", enum: ["avif", "webp"] } },
      { name: "Range", in: "header", schema: { type: "string", example: "bytes=0-1023" } },
    ],
    responses: {
      "200": { description: "The bytes", content: binary(["image/*", "video/mp4", "video/webm"]) },
      "206": { description: "A byte range", content: binary(["video/mp4", "video/webm"]) },
      "304": { description: "Not modified" },
      "416": { description: "Range not satisfiable" },
      ...errors(400, 404),
    },
  },
  deleteAsset: {
    method: "delete",
    path: "/api/assets/{id}",
    summary: "Remove an asset (creator only)",
    parameters: [idParam],
    responses: { "204": { description: "Removed" }, ...errors(401, 403, 404, 409) },
  },
  getContribution: {
    method: "get",
    path: "/api/contributions/{id}",
    summary: "My contribution's current status",
    parameters: [idParam],
    responses: { "200": { description: "The contribution", ...jsonBody("Contribution") }, ...errors(401, 404) },
  },
  createRefund: {
    method: "post",
    path: "/api/contributions/{id}/refunds",
    body: createRefundSchema,
    summary: "Refund a contribution, in full or in part (the campaign's creator or an admin)",
    description:
      "Idempotent like contributions: the same Idempotency-Key with the same body returns the same refund (Idempotent-Replayed: true); with a different body 422. The refunds of a contribution never add up to more than it (409 REFUND_EXCEEDS_CONTRIBUTION); a pending, failed or disputed contribution cannot be refunded (409). The money is reserved at once; status pending means the provider has not confirmed yet (a provider outage leaves it pending and it is sent again).",
    parameters: [
      idParam,
      { name: "Idempotency-Key", in: "header", required: true, schema: { type: "string", minLength: 1, maxLength: 255 } },
    ],
    responses: {
      "201": { description: "Recorded; status pending, succeeded or failed", ...jsonBody("Refund") },
      ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
    },
  },
  listContributionRefunds: {
    method: "get",
    path: "/api/contributions/{id}/refunds",
    summary: "A contribution's refunds, newest first (its donor, the campaign's creator, admins)",
    parameters: [idParam],
    responses: { "200": { description: "The refunds", ...listOf("Refund") }, ...errors(401, 404) },
  },
  listDisputes: {
    method: "get",
    path: "/api/disputes",
    summary: "Disputes (chargebacks), newest first (admins)",
    parameters: [{ name: "open", in: "query", schema: { type: "boolean" }, description: "only disputes not closed yet" }],
    responses: { "200": { description: "The disputes", ...listOf("Dispute") }, ...errors(401, 403) },
  },
  receiveStripeWebhook: {
    method: "post",
    path: "/api/webhooks/stripe",
    summary:
      "Stripe (and sandbox) webhook: Stripe-Signature verified; payment_intent.succeeded / payment_failed, refund and charge.refunded, charge.dispute.* applied once",
    security: [],
    responses: { "200": { description: "Applied, duplicate or ignored" }, ...errors(400, 413) },
  },
  listMyCampaigns: {
    method: "get",
    path: "/api/me/campaigns",
    summary: "The signed-in creator's campaigns, newest first",
    parameters: [limitParam, cursorParam],
    responses: { "200": { description: "A page", ...jsonBody("CampaignPage") }, ...errors(400, 401, 429) },
  },
  listMyTokens: {
    method: "get",
    path: "/api/me/tokens",
    summary: "List my API tokens",
    responses: { "200": { description: "Tokens (never their secrets)", ...listOf("ApiToken") }, ...errors(401) },
  },
  createToken: {
    method: "post",
    path: "/api/me/tokens",
    body: createTokenSchema,
    summary: "Create an API token (the secret is in this response only)",
    description:
      "At most API_TOKENS_MAX_PER_USER active tokens per user (409 TOKEN_LIMIT_REACHED) and API_TOKENS_MINT_PER_HOUR created per hour (429 RATE_LIMITED).",
    responses: { "201": { description: "Created", ...jsonBody("ApiToken") }, ...errors(400, 401, 403, 409, 415, 429) },
  },
  revokeToken: {
    method: "delete",
    path: "/api/me/tokens/{id}",
    summary: "Revoke an API token",
    parameters: [idParam],
    responses: { "200": { description: "Revoked", ...jsonBody("ApiToken") }, ...errors(401, 403, 404) },
  },
  signOutEverywhere: {
    method: "delete",
    path: "/api/me/sessions",
    summary: "Sign out everywhere: end every browser session of mine, and optionally revoke my API tokens",
    description:
      "Every session cookie issued until now, on any device, is refused from the next request on (the caller's own too), and the user is emailed. API tokens keep working unless revokeApiTokens=true.",
    parameters: [
      {
        name: "revokeApiTokens",
        in: "query",
        schema: { type: "string", enum: ["true", "false"], default: "false" },
        description: "Also revoke every active API token of mine (the one calling included)",
      },
    ],
    responses: {
      "200": {
        description: "Every browser session ended",
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["apiTokensRevoked"],
              properties: { apiTokensRevoked: { type: "integer", minimum: 0, description: "API tokens revoked with them" } },
            },
          },
        },
      },
      ...errors(400, 401, 403),
    },
  },
  listMyPayouts: {
    method: "get",
    path: "/api/payouts",
    summary: "My payouts (as a creator), newest first",
    parameters: [
      limitParam,
      cursorParam,
      { name: "campaignId", in: "query", schema: { type: "string", format: "uuid" }, description: "One campaign's only" },
    ],
    responses: { "200": { description: "A page", ...jsonBody("PayoutPage") }, ...errors(400, 401, 429) },
  },
  getPayoutAccount: {
    method: "get",
    path: "/api/me/payout-account",
    summary: "My payout account with the provider in use (null when none), refreshed from the provider",
    responses: {
      "200": {
        description: "The account",
        content: {
          "application/json": {
            schema: { type: "object", properties: { account: { anyOf: [ref("PayoutAccount"), { type: "null" }] } } },
          },
        },
      },
      ...errors(401),
    },
  },
  connectPayoutAccount: {
    method: "post",
    path: "/api/me/payout-account",
    summary: "Connect a payout account (Stripe Connect or a simulated one) and get the onboarding URL",
    responses: {
      "201": {
        description: "The account and where to finish onboarding",
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: { account: ref("PayoutAccount"), onboardingUrl: { type: "string", format: "uri" } },
            },
          },
        },
      },
      ...errors(401, 403),
    },
  },
  runPayouts: {
    method: "get",
    path: "/api/cron/payouts",
    summary: "Run the day's payouts (Vercel Cron; Authorization: Bearer CRON_SECRET; refused when it is not set)",
    security: [{ bearer: [] }],
    parameters: [{ name: "date", in: "query", schema: { type: "string", format: "date" }, description: "Default: today" }],
    responses: { "200": { description: "The run's summary" }, ...errors(400, 401, 409) },
  },
  reconcilePayments: {
    method: "get",
    path: "/api/cron/reconcile",
    summary:
      "Ask the payment provider about payments pending too long and settle them; resend unanswered refunds (Vercel Cron; Authorization: Bearer CRON_SECRET; refused when it is not set)",
    security: [{ bearer: [] }],
    responses: {
      "200": {
        description: "{ payments: { checked, settled, canceled, notStarted, stillPending, providerUnavailable }, refundsResent }",
      },
      ...errors(401),
    },
  },
  drainEvents: {
    method: "get",
    path: "/api/cron/events",
    summary:
      "Apply pending outbox events for up to 45 s where no consumer runs in the background (Vercel Cron, every minute; Authorization: Bearer CRON_SECRET; refused when it is not set)",
    security: [{ bearer: [] }],
    responses: {
      "200": { description: "What was applied: { drained: { events, failed, caughtUp, ms } }, or { skipped } on NATS" },
      ...errors(401),
    },
  },
  sendMail: {
    method: "get",
    path: "/api/cron/mail",
    summary:
      "Send the queued mail (or keep it, without SMTP_URL) for up to 45 s where no sender runs in the background (Vercel Cron, every minute; Authorization: Bearer CRON_SECRET; refused when it is not set)",
    security: [{ bearer: [] }],
    parameters: [
      {
        name: "digest",
        in: "query",
        schema: { type: "string", enum: ["1"] },
        description: "1: first queue yesterday's daily digests (once a day)",
      },
    ],
    responses: {
      "200": { description: "{ mail: { sent, kept, retried, failed, caughtUp }, digests? (digests queued) }" },
      ...errors(401),
    },
  },
  unsubscribeOneClick: {
    method: "post",
    path: "/api/unsubscribe",
    summary:
      "One-click unsubscribe (RFC 8058), the List-Unsubscribe address of a message that is not transactional: stops one campaign's updates or the donation notices the signed token names",
    security: [],
    parameters: [{ name: "token", in: "query", required: true, schema: { type: "string" }, description: "From the message" }],
    requestBody: {
      content: {
        "application/x-www-form-urlencoded": {
          schema: { type: "object", properties: { "List-Unsubscribe": { type: "string", enum: ["One-Click"] } } },
        },
      },
    },
    responses: {
      "200": { description: "{ unsubscribed: { kind: campaign | notices, campaignId? } }" },
      "303": { description: "The confirm page's own form: back to /unsubscribe?done=…" },
      ...errors(400, 413),
    },
  },
  openUnsubscribeLink: {
    method: "get",
    path: "/api/unsubscribe",
    summary:
      "The one-click address opened with a GET: changes nothing; a browser (Accept: text/html) is sent to the confirm page (/unsubscribe?token=…)",
    security: [],
    parameters: [{ name: "token", in: "query", required: true, schema: { type: "string" } }],
    responses: {
      "200": { description: "What the token would stop: { unsubscribe: { kind: campaign | notices, campaignId?, confirmUrl } }" },
      "303": { description: "A browser: to the confirm page" },
      ...errors(400),
    },
  },
  getHealth: {
    method: "get",
    path: "/api/health",
    summary:
      "Liveness and database reachability for anyone; with Authorization: Bearer METRICS_TOKEN or an admin's credential also the details (database latency, consumer lag, payments pending: count, oldest age in seconds), from a scan at most 5 s old",
    // public, or the optional bearer credential that adds the details
    security: [{} as Record<string, string[]>, { bearer: [] }],
    responses: {
      "200": { description: "Healthy", ...jsonBody("Health") },
      ...errors(401, 429),
      // after errors(): the health check answers its own body when the database is unreachable
      "503": { description: "Database unreachable", ...jsonBody("Health") },
    },
  },
} satisfies Record<string, Operation>;

export type OperationId = keyof typeof API;
