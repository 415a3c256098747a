import { z } from "zod";
import { assetSchema, directUploadRequestSchema, directUploadSchema, reorderAssetsSchema } from "@/lib/assets/schemas";
import { createTokenSchema, tokenSchema } from "@/lib/auth/schemas";
import { campaignPageSchema, campaignSchema, createCampaignSchema, updateCampaignSchema } from "@/lib/campaigns/schemas";
import { ERRORS } from "@/lib/errors";
import {
  contributeSchema,
  contributionSchema,
  publicContributionPageSchema,
  publicContributionSchema,
} from "@/lib/payments/schemas";
import { payoutAccountSchema, payoutPageSchema, payoutSchema } from "@/lib/payouts/schemas";
import { assetPaths } from "./assets";

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers
 * validate with (zod 4's native JSON Schema output is draft 2020-12, which is
 * what OpenAPI 3.1 uses, so no converter library is needed).
 */
const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERRORS) as [string, ...string[]]),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: "Error" });

const healthSchema = z
  .object({ status: z.enum(["ok", "error"]), checks: z.record(z.string(), z.object({ status: z.string() })) })
  .meta({ id: "Health" });

// Every schema registered with `.meta({ id })` becomes a component; references between them use $ref.
const documented = [
  campaignSchema,
  campaignPageSchema,
  createCampaignSchema,
  updateCampaignSchema,
  createTokenSchema,
  tokenSchema,
  errorSchema,
  healthSchema,
  contributeSchema,
  contributionSchema,
  publicContributionSchema,
  publicContributionPageSchema,
  payoutSchema,
  payoutPageSchema,
  payoutAccountSchema,
  assetSchema,
  reorderAssetsSchema,
  directUploadRequestSchema,
  directUploadSchema,
];

function components() {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const wanted = new Set(documented.map((s) => z.globalRegistry.get(s)?.id));
  const out: Record<string, unknown> = {};
  // In name order: the registry's order is the order modules happened to load, which differs between
  // the Next.js bundle and a script, and generated clients should not change with it.
  for (const [id, schema] of Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))) {
    if (!wanted.has(id)) continue;
    const { $schema: _, id: __, ...rest } = schema as Record<string, unknown>;
    out[id] = rest;
  }
  return out;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const jsonBody = (id: string) => ({ content: { "application/json": { schema: ref(id) } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: `Error (${c})`, ...jsonBody("Error") }]));
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };

/**
 * The operationId of every operation: the method name a generated client gives it. Stable: renaming
 * one breaks every client generated from this document.
 */
const OPERATION_IDS: Record<string, string> = {
  "POST /api/campaigns": "createCampaign",
  "GET /api/campaigns/{id}": "getCampaign",
  "PATCH /api/campaigns/{id}": "updateCampaign",
  "POST /api/campaigns/{id}/contributions": "createContribution",
  "GET /api/campaigns/{id}/contributions": "listCampaignContributions",
  "POST /api/campaigns/{id}/assets": "uploadAsset",
  "GET /api/campaigns/{id}/assets": "listCampaignAssets",
  "PATCH /api/campaigns/{id}/assets": "reorderCampaignAssets",
  "POST /api/campaigns/{id}/assets/uploads": "createDirectUpload",
  "POST /api/campaigns/{id}/assets/uploads/{uploadId}": "completeDirectUpload",
  "GET /api/assets/{id}": "getAsset",
  "DELETE /api/assets/{id}": "deleteAsset",
  "GET /api/contributions/{id}": "getContribution",
  "POST /api/webhooks/stripe": "receiveStripeWebhook",
  "GET /api/me/campaigns": "listMyCampaigns",
  "GET /api/me/tokens": "listMyTokens",
  "POST /api/me/tokens": "createToken",
  "DELETE /api/me/tokens/{id}": "revokeToken",
  "GET /api/payouts": "listMyPayouts",
  "GET /api/me/payout-account": "getPayoutAccount",
  "POST /api/me/payout-account": "connectPayoutAccount",
  "GET /api/cron/payouts": "runPayouts",
  "GET /api/cron/events": "drainEvents",
  "GET /api/health": "getHealth",
};

/** Give each operation its operationId; throws on an operation missing from OPERATION_IDS (caught by the unit test). */
function withOperationIds<T extends { paths: Record<string, Record<string, unknown>> }>(doc: T): T {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== "object" || op === null || !["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const id = OPERATION_IDS[`${method.toUpperCase()} ${path}`];
      if (!id) throw new Error(`openapi: no operationId for ${method.toUpperCase()} ${path}`);
      (op as { operationId?: string }).operationId = id;
    }
  }
  return doc;
}

export function openApiDocument() {
  return withOperationIds({
    openapi: "3.1.0",
    info: {
      title: "Crowdfund API",
      version: "0.1.0",
      license: { name: "MIT", identifier: "MIT" },
      description:
        "Create campaigns, read them by ID, add pictures and videos, manage API tokens. Authenticate with the session cookie or `Authorization: Bearer <token>`. Money is integer minor units plus an ISO 4217 currency.",
    },
    servers: [{ url: "/" }],
    components: {
      schemas: components(),
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "API token from /settings/tokens or `npm run cli -- tokens create`",
        },
        session: { type: "apiKey", in: "cookie", name: "next-auth.session-token" },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      "/api/campaigns": {
        post: {
          summary: "Create a campaign",
          requestBody: { required: true, ...jsonBody("CreateCampaign") },
          responses: {
            "201": { description: "Created (committed)", ...jsonBody("Campaign") },
            ...errors(400, 401, 413, 415, 429),
          },
        },
      },
      "/api/campaigns/{id}": {
        get: {
          summary: "Get a campaign by ID (drafts only for their creator)",
          security: [],
          parameters: [idParam],
          responses: { "200": { description: "The campaign", ...jsonBody("Campaign") }, ...errors(404, 429) },
        },
        patch: {
          summary: "Change a campaign (creator; admins may suspend)",
          parameters: [idParam],
          requestBody: { required: true, ...jsonBody("UpdateCampaign") },
          responses: {
            "200": { description: "Updated", ...jsonBody("Campaign") },
            ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
          },
        },
      },
      "/api/campaigns/{id}/contributions": {
        post: {
          summary: "Contribute to a campaign (sandbox or Stripe)",
          description:
            "Idempotent: the same Idempotency-Key with the same body returns the same answer (header Idempotent-Replayed: true); with a different body 422; while the first request still runs 409 (retry). A declined card is a 201 with status failed.",
          parameters: [
            idParam,
            { name: "Idempotency-Key", in: "header", required: true, schema: { type: "string", minLength: 1, maxLength: 255 } },
          ],
          requestBody: { required: true, ...jsonBody("Contribute") },
          responses: {
            "201": { description: "Recorded; status succeeded, pending or failed", ...jsonBody("Contribution") },
            ...errors(400, 401, 404, 409, 413, 415, 422, 429, 503),
          },
        },
        get: {
          summary: "Recent succeeded contributions (public), newest first",
          security: [],
          parameters: [
            idParam,
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
            { name: "cursor", in: "query", schema: { type: "string" } },
          ],
          responses: { "200": { description: "A page", ...jsonBody("PublicContributionPage") }, ...errors(400, 404) },
        },
      },
      ...assetPaths({ ref, jsonBody, errors, idParam }),
      "/api/contributions/{id}": {
        get: {
          summary: "My contribution's current status",
          parameters: [idParam],
          responses: { "200": { description: "The contribution", ...jsonBody("Contribution") }, ...errors(401, 404) },
        },
      },
      "/api/webhooks/stripe": {
        post: {
          summary:
            "Stripe (and sandbox) webhook: Stripe-Signature verified, payment_intent.succeeded / payment_failed applied once",
          security: [],
          responses: { "200": { description: "Applied, duplicate or ignored" }, ...errors(400, 413) },
        },
      },
      "/api/me/campaigns": {
        get: {
          summary: "The signed-in creator's campaigns, newest first",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
            { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" },
          ],
          responses: { "200": { description: "A page", ...jsonBody("CampaignPage") }, ...errors(400, 401, 429) },
        },
      },
      "/api/me/tokens": {
        get: {
          summary: "List my API tokens",
          responses: {
            "200": {
              description: "Tokens (never their secrets)",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { items: { type: "array", items: ref("ApiToken") } } },
                },
              },
            },
            ...errors(401),
          },
        },
        post: {
          summary: "Create an API token (the secret is in this response only)",
          requestBody: { required: true, ...jsonBody("CreateToken") },
          responses: { "201": { description: "Created", ...jsonBody("ApiToken") }, ...errors(400, 401, 415) },
        },
      },
      "/api/me/tokens/{id}": {
        delete: {
          summary: "Revoke an API token",
          parameters: [idParam],
          responses: { "200": { description: "Revoked", ...jsonBody("ApiToken") }, ...errors(401, 404) },
        },
      },
      "/api/payouts": {
        get: {
          summary: "My payouts (as a creator), newest first",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
            { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" },
            { name: "campaignId", in: "query", schema: { type: "string", format: "uuid" }, description: "One campaign's only" },
          ],
          responses: { "200": { description: "A page", ...jsonBody("PayoutPage") }, ...errors(400, 401, 429) },
        },
      },
      "/api/me/payout-account": {
        get: {
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
        post: {
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
            ...errors(401, 503),
          },
        },
      },
      "/api/cron/payouts": {
        get: {
          summary: "Run the day's payouts (Vercel Cron; Authorization: Bearer CRON_SECRET; refused when it is not set)",
          security: [{ bearer: [] }],
          parameters: [{ name: "date", in: "query", schema: { type: "string", format: "date" }, description: "Default: today" }],
          responses: { "200": { description: "The run's summary" }, ...errors(400, 401, 409) },
        },
      },
      "/api/cron/events": {
        get: {
          summary:
            "Apply pending outbox events for up to 45 s where no consumer runs in the background (Vercel Cron, every minute; Authorization: Bearer CRON_SECRET; refused when it is not set)",
          security: [{ bearer: [] }],
          responses: {
            "200": { description: "What was applied: { drained: { events, failed, caughtUp, ms } }, or { skipped } on NATS" },
            ...errors(401),
          },
        },
      },
      "/api/health": {
        get: {
          summary: "Liveness and database reachability",
          security: [],
          responses: {
            "200": { description: "Healthy", ...jsonBody("Health") },
            "503": { description: "Database unreachable", ...jsonBody("Health") },
            ...errors(429),
          },
        },
      },
    },
  });
}
