import { z } from "zod";
import { API, jsonBody, type Operation } from "@/lib/api/operations";
import { assetSchema, directUploadRequestSchema, directUploadSchema, reorderAssetsSchema } from "@/lib/assets/schemas";
import { createTokenSchema, tokenSchema } from "@/lib/auth/schemas";
import {
  campaignPageSchema,
  campaignSchema,
  campaignUpdatePageSchema,
  campaignUpdateSchema,
  closeForAbuseSchema,
  createCampaignSchema,
  postUpdateSchema,
  updateCampaignSchema,
} from "@/lib/campaigns/schemas";
import { ERRORS } from "@/lib/errors";
import { auditEntrySchema, auditPageSchema, createReportSchema, reportSchema } from "@/lib/moderation/schemas";
import {
  contributeSchema,
  contributionSchema,
  createRefundSchema,
  disputeSchema,
  publicContributionPageSchema,
  publicContributionSchema,
  refundSchema,
} from "@/lib/payments/schemas";
import { payoutAccountSchema, payoutPageSchema, payoutSchema } from "@/lib/payouts/schemas";

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
      details: z
        .array(
          z.object({
            field: z.string(),
            message: z.string(),
            code: z.string().optional().describe("why, where a field has several reasons (e.g. AMOUNT_AMBIGUOUS)"),
          }),
        )
        .optional(),
    }),
  })
  .meta({ id: "Error" });

const healthSchema = z
  .object({
    status: z.enum(["ok", "error"]),
    checks: z.record(z.string(), z.object({ status: z.string(), latencyMs: z.number().optional() })),
    checkedAt: z
      .string()
      .optional()
      .describe("details only: when the consumer-lag and payments scans ran (one scan serves every request for 5 s)"),
    consumers: z
      .record(z.string(), z.object({ events: z.number().int(), oldestMs: z.number().int(), parked: z.number().int() }))
      .optional()
      .describe("details only: each consumer group's lag behind the outbox"),
    payments: z
      .object({ pending: z.number().int(), oldestPendingSeconds: z.number().int().nullable() })
      .optional()
      .describe(
        "details only: contributions waiting for the provider's answer; reconciliation asks about those older than a few minutes",
      ),
  })
  .meta({ id: "Health" });

// Every schema registered with `.meta({ id })` becomes a component; references between them use $ref.
const documented = [
  campaignSchema,
  campaignPageSchema,
  createCampaignSchema,
  updateCampaignSchema,
  closeForAbuseSchema,
  postUpdateSchema,
  campaignUpdateSchema,
  campaignUpdatePageSchema,
  createTokenSchema,
  tokenSchema,
  errorSchema,
  healthSchema,
  contributeSchema,
  contributionSchema,
  publicContributionSchema,
  publicContributionPageSchema,
  createRefundSchema,
  refundSchema,
  disputeSchema,
  payoutSchema,
  payoutPageSchema,
  payoutAccountSchema,
  assetSchema,
  reorderAssetsSchema,
  directUploadRequestSchema,
  directUploadSchema,
  createReportSchema,
  reportSchema,
  auditEntrySchema,
  auditPageSchema,
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

/** The component a zod schema is published as (its `.meta({ id })`); throws for an unregistered one. */
function componentOf(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error("openapi: a declared request body has no .meta({ id })");
  return id;
}

/** The document's paths, from the operation declarations the handlers are built from (lib/api). */
function paths() {
  const out: Record<string, Record<string, object>> = {};
  for (const [operationId, declared] of Object.entries(API) as [string, Operation][]) {
    const { method, path, body, ...fields } = declared;
    const requestBody = body ? { required: true, ...jsonBody(componentOf(body)) } : fields.requestBody;
    out[path] ??= {};
    out[path][method] = { operationId, ...fields, ...(requestBody ? { requestBody } : {}) };
  }
  return out;
}

/** The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json). */
export function openApiDocument() {
  return {
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
    paths: paths(),
  };
}
