/**
 * The API fuzzer (docs/security.md, "Fuzzing"): requests generated with fast-check from the OpenAPI document
 * the app serves (/api/openapi.json), over every operation and method, plus methods and paths it does not
 * declare, sent over HTTP to a real app on a real database. Used by tests/integration/fuzz.test.ts (a short
 * run) and `npm run fuzz` (scripts/fuzz.ts, the full run).
 *
 * What it sends: bodies derived from each operation's schema with one to three mutations (wrong types,
 * boundary, huge, negative and fractional numbers, long and odd Unicode: NUL, C0/C1 controls, lone
 * surrogates, bidirectional controls, zero-width characters; missing and unknown fields), invalid JSON and
 * wrong content types; odd path, query and header values; missing, revoked, forged and malformed bearer
 * tokens and session cookies (expired, signed with another secret, tampered).
 *
 * What it checks: no 5xx; every 4xx of the JSON API is `{ error: { code, message } }` with a code of the
 * catalogue (lib/errors); and a batch of requests that were all refused changed nothing: the row count of
 * every table, the contents of the domain tables and the ledger's sums per currency are the same after it.
 *
 * Requests are generated from a seed (`fc.sample`): the same seed gives the same requests, so a failure is
 * reproduced by running again with the seed it printed.
 */
import fc from "fast-check";
import { encode } from "next-auth/jwt";
import type postgres from "postgres";
import { ERRORS } from "@/lib/errors";

/** Which credentials a request carries. */
export type AuthKind =
  | "none"
  | "alice"
  | "bob"
  | "carol"
  | "aliceCookie"
  | "revokedToken"
  | "forgedToken"
  | "malformedAuthorization"
  | "expiredCookie"
  | "forgedCookie"
  | "tamperedCookie";

/** What the fuzzer knows of the world it attacks: where, the database, credentials and real IDs to aim at. */
export interface FuzzWorld {
  base: string;
  sql: postgres.Sql;
  creds: Record<Exclude<AuthKind, "none" | "forgedToken" | "malformedAuthorization">, string>;
  /** Real IDs by placeholder name ("campaign", "draft", "bobCampaign", "contribution", "token", "asset"). */
  ids: Record<string, string>;
  /**
   * Erin's token and session cookie, sent instead of a seeded user's with any request to /api/me/sessions: "Sign
   * out everywhere" ends its caller's sessions (and tokens, when asked), which would turn alice's credentials
   * anonymous for the rest of the run.
   */
  ender: { token: string; cookie: string };
}

export interface FuzzRequest {
  /** operationId, or what the request aims at when it is not a declared operation. */
  op: string;
  method: string;
  /** With `{name}` placeholders of `ids` (e.g. `{campaign}`), resolved when sent. */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: { json: unknown } | { raw: string };
  auth: AuthKind;
}

export interface FuzzResult {
  req: FuzzRequest;
  status: number;
  text: string;
  problem?: string;
  /** The connection failed once before this answer. */
  retried?: boolean;
}

export interface FuzzStats {
  requests: number;
  byStatus: Record<string, number>;
  fiveXX: number;
  badErrorBodies: number;
  /** Batches where every request was refused, and those of them after which something had changed. */
  refusedBatches: number;
  changesFromRefused: number;
  /** Requests answered only on a second connection (see `send`). */
  retried: number;
  failures: string[];
  ms: number;
}

// ---------------------------------------------------------------------------------------------------------
// Values

/** Pieces odd strings are made of: controls, bidi, zero-width, surrogates, combining, wide, markup, paths. */
const ODD_PIECES = [
  "\u0000",
  "\u0001",
  "\u0007",
  "\u001b[31m",
  "\u007f",
  "\u0085",
  "\u009b",
  "\t",
  "\n",
  "\r\n",
  "\u202a",
  "\u202b",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u200b",
  "\u200c",
  "\u200d",
  "\u200e",
  "\u2060",
  "\ufeff",
  "\u00ad",
  "\u3164",
  "\u2800",
  "\ud800",
  "\udfff",
  "\udbff\udfff",
  "\ud83d\ude00",
  "\ud835\udd4f",
  "e\u0301",
  "\u0301\u0301\u0301",
  "\uffff",
  "\ufffe",
  "\ufffd",
  " ",
  "\u00a0",
  "\u3000",
  "ﷺ",
  "𒐫",
  "'; drop table campaigns; --",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00",
  "%",
  "{{7*7}}",
  "$" + "{jndi:x}",
  "null",
  "-1",
  "1e309",
  "A",
  "Well water",
];

/** A string made of odd pieces, sometimes very long (past every field's limit). */
export const oddString = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom(...ODD_PIECES), { minLength: 1, maxLength: 8 }).map((a) => a.join("")) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("a", "\u200b", "é", "\ud83d\ude00", "\u0000", " "), fc.constantFrom(121, 501, 1001, 20_001, 100_000))
      .map(([c, n]) => c.repeat(n)),
  },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "  \u200b  ", "ab") },
);

/** Numbers at and past every boundary: zero, negatives, fractions, 2^31, 2^53 and beyond, huge. */
export const oddNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.5,
    -0.01,
    99.999,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 53 - 1,
    2 ** 53 + 2,
    2 ** 63,
    1e12,
    1e12 + 1,
    1e21,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value of the wrong kind: null, booleans, numbers, odd strings, arrays, objects with odd keys. */
export const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  oddNumber,
  oddString,
  fc.constantFrom([], {}, [1, 2], { __proto__: { admin: true } }, { constructor: { prototype: { x: 1 } } }, [[[[[]]]]]),
  fc.dictionary(oddString, fc.oneof(fc.constant(null), oddNumber, oddString), { maxKeys: 3 }),
);

type Schema = Record<string, any>;

function resolve(doc: Schema, s: Schema | undefined): Schema {
  let cur = s ?? {};
  for (let i = 0; i < 10 && typeof cur.$ref === "string"; i++) {
    cur = doc.components.schemas[cur.$ref.split("/").pop() as string] ?? {};
  }
  return cur;
}

/** A valid-looking value of a JSON schema (IDs are placeholders of the world's real IDs or random UUIDs). */
function validValue(doc: Schema, raw: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, raw);
  if (depth > 4) return fc.constant(null);
  if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => validValue(doc, x, depth + 1)));
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
      const required = new Set<string>(s.required ?? []);
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of props) rec[k] = validValue(doc, v, depth + 1);
      return fc.record(rec, { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
    }
    case "array":
      return fc.array(validValue(doc, s.items, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 3, 3),
      });
    case "integer":
      return fc.integer({ min: Math.max(s.minimum ?? 1, -(2 ** 31)), max: Math.min(s.maximum ?? 100_000, 2 ** 31) });
    case "number":
      return fc.double({ min: s.minimum ?? 0, max: s.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "string":
      if (s.format === "uuid") return fc.oneof(placeholderId, fc.uuid());
      if (s.format === "date-time") return fc.constantFrom("2030-01-01T00:00:00Z", "2027-06-30T12:00:00+02:00");
      if (s.pattern === "^[A-Z]{3}$" || /currency/i.test(s.description ?? "")) return fc.constantFrom("USD", "EUR", "JPY");
      return fc.string({ minLength: Math.max(s.minLength ?? 3, 3), maxLength: Math.min(s.maxLength ?? 40, 40) });
    default:
      return oddJson;
  }
}

const placeholderId = fc.constantFrom("{campaign}", "{draft}", "{bobCampaign}", "{contribution}", "{token}", "{asset}");

/** A body from the schema with one to three mutations; one in ten left as generated (often valid). */
function mutatedBody(doc: Schema, schema: Schema): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const fields = Object.keys(s.properties ?? {});
  const mutation = fc.oneof(
    fc.record({
      kind: fc.constant("set" as const),
      field: fc.constantFrom(...fields, "__proto__", "constructor", "x"),
      value: oddJson,
    }),
    fc.record({ kind: fc.constant("number" as const), field: fc.constantFrom(...fields), value: oddNumber }),
    fc.record({ kind: fc.constant("string" as const), field: fc.constantFrom(...fields), value: oddString }),
    fc.record({ kind: fc.constant("delete" as const), field: fc.constantFrom(...fields) }),
  );
  return fc.oneof(
    { weight: 1, arbitrary: validValue(doc, s) },
    {
      weight: 8,
      arbitrary: fc.tuple(validValue(doc, s), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([v, ms]) => {
        const o = { ...(v as Record<string, unknown>) };
        for (const m of ms) {
          if (m.kind === "delete") delete o[m.field];
          else Object.defineProperty(o, m.field, { value: m.value, enumerable: true, writable: true, configurable: true });
        }
        return o;
      }),
    },
    { weight: 1, arbitrary: oddJson },
  );
}

/** Bodies that are not JSON, or JSON that is not an object: each must be a 4xx (400, 413 or 415). */
const rawBodies = fc.constantFrom(
  "",
  "{",
  '{"title":',
  "nul\u0000l",
  "[1,2,",
  "\ufeff{}",
  "{'single':'quotes'}",
  '{"a":1}{"b":2}',
  "NaN",
  "1e999999",
  '"\\ud800"',
  '{"title":"\\u0000"}',
  '{"__proto__":{"admin":true}}',
  "[".repeat(5000) + "]".repeat(5000),
  `${'{"a":'.repeat(3000)}1${"}".repeat(3000)}`,
  "\u0000\u0001\u0002",
  "x".repeat(70_000),
);

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/merge-patch+json",
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/json; charset=utf-16",
  "application/xml",
  "",
);

/** Header values fetch can send (Latin-1, no CR/LF/NUL): odd idempotency keys and ranges. */
const oddHeaderValue = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "x".repeat(256),
    "x".repeat(255),
    "k\u00e9y",
    "\u00ff\u00fe",
    "a b",
    "bytes=0-",
    "bytes=-1",
    "bytes=99999999-",
    "bytes=5-1",
    "bytes=0-0,1-1,2-2",
  ),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.uuid(),
);

/** Path-parameter values: real IDs, unknown UUIDs and odd strings (percent-encoded as a browser would, or raw). */
const pathValue = fc.oneof(
  { weight: 4, arbitrary: placeholderId },
  { weight: 2, arbitrary: fc.uuid() },
  {
    weight: 4,
    arbitrary: fc.oneof(
      oddString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"))),
      fc.constantFrom(
        "%ED%A0%80",
        "%C0%AF",
        "%FF%FE",
        "%00",
        "%E2%80%AE",
        "%E2%80%8B",
        "..",
        "%2e%2e",
        "%2F",
        "0",
        "-1",
        "1e309",
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "0198f0e0-0000-7000-8000-00000000000g",
        "x".repeat(2000),
        "%",
        "%zz",
      ),
    ),
  },
);

const queryValue = fc.oneof(
  fc.constantFrom(
    "-1",
    "0",
    "1",
    "100",
    "101",
    "1.5",
    "1e309",
    "NaN",
    "Infinity",
    "0x10",
    "",
    "true",
    "false",
    "2024-02-30",
    "2026-13-01",
    "thumb",
    "avif",
  ),
  oddString.map((s) => s.replace(/[\ud800-\udfff]/g, "\ufffd")),
  placeholderId,
  fc.uuid(),
);

const authKind: fc.Arbitrary<AuthKind> = fc.constantFrom(
  "none",
  "alice",
  "alice",
  "bob",
  "carol",
  "aliceCookie",
  "revokedToken",
  "forgedToken",
  "malformedAuthorization",
  "expiredCookie",
  "forgedCookie",
  "tamperedCookie",
);

// ---------------------------------------------------------------------------------------------------------
// Requests

interface DeclaredOp {
  id: string;
  method: string;
  path: string;
  parameters: Schema[];
  jsonBody?: Schema;
  otherBody?: string;
}

/** Every operation of the OpenAPI document (method, path, parameters, JSON body schema). */
export function operationsOf(doc: Schema): DeclaredOp[] {
  const ops: DeclaredOp[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      ops.push({
        id: op.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        jsonBody: content["application/json"]?.schema,
        otherBody: Object.keys(content).find((t) => t !== "application/json"),
      });
    }
  }
  return ops;
}

function requestFor(doc: Schema, op: DeclaredOp): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === "path").map((p) => p.name as string);
  const queryParams = op.parameters.filter((p) => p.in === "query").map((p) => p.name as string);
  const headerParams = op.parameters.filter((p) => p.in === "header").map((p) => p.name as string);
  const body: fc.Arbitrary<FuzzRequest["body"] | undefined> = op.jsonBody
    ? fc.oneof(
        { weight: 8, arbitrary: mutatedBody(doc, op.jsonBody).map((json) => ({ json })) },
        { weight: 2, arbitrary: rawBodies.map((raw) => ({ raw })) },
      )
    : fc.oneof(
        fc.constant(undefined),
        rawBodies.map((raw) => ({ raw })),
        oddJson.map((json) => ({ json })),
      );
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom("PUT", "PATCH", "DELETE", "POST", "GET") },
      ),
      params: fc.tuple(...pathParams.map(() => pathValue)),
      query: fc.array(fc.tuple(fc.constantFrom(...queryParams, "limit", "cursor", "x"), queryValue), { maxLength: 3 }),
      headers: fc.tuple(...headerParams.map(() => fc.option(oddHeaderValue, { nil: undefined, freq: 4 }))),
      contentType: fc.option(contentTypes, { nil: undefined, freq: 4 }),
      body,
      auth: authKind,
      multipart: fc.boolean(),
    })
    .map((r) => {
      let path = op.path;
      pathParams.forEach((name, i) => {
        path = path.replace(`{${name}}`, r.params[i] as string);
      });
      const headers: Record<string, string> = {};
      headerParams.forEach((name, i) => {
        const v = r.headers[i];
        if (v !== undefined) headers[name] = v;
      });
      let reqBody = r.body;
      const method = r.method;
      if (method === "GET" || method === "HEAD") reqBody = undefined;
      if (reqBody) headers["content-type"] = r.contentType ?? ("json" in reqBody ? "application/json" : "text/plain");
      if (op.otherBody && r.multipart && method === op.method) {
        // the upload route: a form whose file part is not a picture, or no file part at all
        headers["content-type"] = "multipart/form-data; boundary=FUZZ";
        reqBody = {
          raw: `--FUZZ\r\nContent-Disposition: form-data; name="file"; filename="a\u0000.png"\r\nContent-Type: image/png\r\n\r\nnot a png\r\n--FUZZ--\r\n`,
        };
      }
      return { op: op.id, method, path, query: r.query, headers, body: reqBody, auth: r.auth } satisfies FuzzRequest;
    });
}

/** Paths and methods the document does not declare: each must be a JSON 404 or 405. */
const undeclared: fc.Arbitrary<FuzzRequest> = fc
  .record({
    path: fc.constantFrom(
      "/api/nope",
      "/api/campaigns/{campaign}/nope",
      "/api/campaigns/%ED%A0%80/contributions",
      "/api/%00",
      "/api/campaigns/%E2%80%AE",
      "/api/me/tokens/{token}/x",
      "/api/openapi.json",
      "/api/health",
      "/api/metrics",
      "/api/auth/session",
      "/api/auth/csrf",
      "/api/auth/providers",
    ),
    method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
    auth: authKind,
    body: fc.option(
      rawBodies.map((raw) => ({ raw })),
      { nil: undefined },
    ),
  })
  .map(
    (r): FuzzRequest => ({
      op: `undeclared ${r.path}`,
      method: r.method,
      path: r.path,
      query: [],
      headers: r.body && r.method !== "GET" ? { "content-type": "application/json" } : ({} as Record<string, string>),
      body: r.method === "GET" ? undefined : r.body,
      auth: r.auth,
    }),
  );

/** The webhook with forged or missing signatures: always a 400 INVALID_SIGNATURE, never applied. */
const forgedWebhook: fc.Arbitrary<FuzzRequest> = fc
  .record({
    signature: fc.option(
      fc.oneof(
        fc.constantFrom(
          "",
          "t=1,v1=00",
          "v1=abc",
          "t=abc,v1=",
          "t=99999999999999999999,v1=ff",
          `t=${Math.floor(Date.now() / 1000)},v1=${"a".repeat(64)}`,
        ),
        oddHeaderValue,
      ),
      { nil: undefined },
    ),
    body: fc.oneof(
      fc.constantFrom(
        '{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","metadata":{}}}}',
        '{"id":"evt_2","type":"charge.dispute.created","data":{"object":{}}}',
      ),
      rawBodies,
    ),
  })
  .map((r) => ({
    op: "receiveStripeWebhook (forged)",
    method: "POST",
    path: "/api/webhooks/stripe",
    query: [],
    headers: { "content-type": "application/json", ...(r.signature === undefined ? {} : { "stripe-signature": r.signature }) },
    body: { raw: r.body },
    auth: "none" as const,
  }));

/** Requests over every declared operation (equally often), undeclared paths and forged webhooks. */
export function requestArbitrary(doc: Schema): fc.Arbitrary<FuzzRequest> {
  const ops = operationsOf(doc).filter((o) => o.id !== "receiveStripeWebhook");
  return fc.oneof(
    ...ops.map((o) => ({ weight: 10, arbitrary: requestFor(doc, o) })),
    { weight: 10, arbitrary: forgedWebhook },
    { weight: 6, arbitrary: undeclared },
  );
}

/** `n` requests from `seed`: the same seed and document give the same requests. */
export function generateRequests(doc: Schema, seed: number, n: number): FuzzRequest[] {
  return fc.sample(requestArbitrary(doc), { seed, numRuns: n });
}

// ---------------------------------------------------------------------------------------------------------
// Sending and checking

function authHeaders(world: FuzzWorld, auth: AuthKind, salt: number, endsCaller: boolean): Record<string, string> {
  if (endsCaller && (auth === "alice" || auth === "bob" || auth === "carol"))
    return { authorization: `Bearer ${world.ender.token}` };
  if (endsCaller && auth === "aliceCookie") return { cookie: world.ender.cookie };
  switch (auth) {
    case "none":
      return {};
    case "alice":
    case "bob":
    case "carol":
    case "revokedToken":
      return { authorization: `Bearer ${world.creds[auth]}` };
    case "forgedToken":
      // the same few forged tokens (not one per request): forged tokens must not each get a fresh rate-limit bucket
      return {
        authorization: `Bearer ${["cf_forged", "cf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x".repeat(300)][salt % 3]}`,
      };
    case "malformedAuthorization":
      return {
        authorization: ["Bearer", "Bearer ", "Basic YWxpY2U6cGFzc3dvcmQ=", "bearer  \u00ff\u00fe", "Token abc", "Bearer a b"][
          salt % 6
        ] as string,
      };
    case "aliceCookie":
    case "expiredCookie":
    case "forgedCookie":
    case "tamperedCookie":
      return { cookie: world.creds[auth] };
  }
}

const CODES = new Set(Object.keys(ERRORS));

/** What is wrong with an answer (undefined: nothing). */
export function checkAnswer(req: FuzzRequest, status: number, contentType: string, text: string): string | undefined {
  if (status >= 500) return `${status} (no request may yield a 5xx)`;
  if (status < 400 || !req.path.startsWith("/api/") || req.path.startsWith("/api/auth/")) return undefined;
  if (!/application\/json/.test(contentType)) return `${status} with content-type ${contentType || "(none)"}, not JSON`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON`;
  }
  const e = body?.error;
  if (typeof e?.code !== "string" || typeof e?.message !== "string") return `${status} without { error: { code, message } }`;
  if (!CODES.has(e.code)) return `${status} with a code outside the catalogue: ${e.code}`;
  if (ERRORS[e.code as keyof typeof ERRORS] !== status)
    return `${status} with code ${e.code}, which the catalogue maps to ${ERRORS[e.code as keyof typeof ERRORS]}`;
  if (req.op.startsWith("receiveStripeWebhook") && !(status === 400 || status === 413))
    return `forged webhook answered ${status}`;
  return undefined;
}

/** The request as sent, with the world's IDs in place of the placeholders. */
export function materialize(world: FuzzWorld, req: FuzzRequest, salt: number): { url: string; init: RequestInit } {
  const fill = (s: string) => s.replace(/\{(\w+)\}/g, (m, name: string) => world.ids[name] ?? m);
  const q = new URLSearchParams(req.query.map(([k, v]) => [k, fill(v)]));
  const url = `${world.base}${fill(req.path)}${req.query.length ? `?${q}` : ""}`;
  const headers: Record<string, string> = { ...authHeaders(world, req.auth, salt, /^\/api\/me\/sessions\b/.test(req.path)) };
  // what fetch can send at all: Latin-1 without controls, no white space at either end (else it throws)
  for (const [k, v] of Object.entries(req.headers)) headers[k] = v.replace(/[^\x20-\x7e\xa0-\xff]/g, "?").trim();
  let body: string | undefined;
  if (req.body) body = "json" in req.body ? fill(JSON.stringify(req.body.json) ?? "null") : req.body.raw;
  return { url, init: { method: req.method, headers, body, redirect: "manual", signal: AbortSignal.timeout(30_000) } };
}

/**
 * Send one request and check its answer. A connection that fails before any answer is tried once more
 * (`retried`: a kept-alive socket the server closed as it was reused is the client's race, not an answer);
 * failing twice is a failure.
 */
export async function send(world: FuzzWorld, req: FuzzRequest, salt: number): Promise<FuzzResult> {
  let res: Response | undefined;
  let retried = false;
  for (let attempt = 0; !res; attempt++) {
    const { url, init } = materialize(world, req, salt);
    try {
      res = await fetch(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (attempt > 0)
        return { req, status: 0, text: "", problem: `no answer: ${cause?.code ?? cause?.message ?? (err as Error).message}` };
      retried = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const text = await res.text();
  const problem = checkAnswer(req, res.status, res.headers.get("content-type") ?? "", text);
  return { req, status: res.status, text, problem, retried };
}

/** Tables that change by themselves (consumers' leases, heartbeats and progress): left out of the comparison. */
const VOLATILE = /^(consumer_|outbox_cursors|parked_events$)/;

/**
 * Columns a successful read updates, left out of their table's digest: a token's last use, a payout account's
 * refresh; and the mail sender's progress on a queued message (status, attempts: lib/mail/sender.ts), which
 * moves by itself a second after the message was queued. A refused request must still queue no message.
 */
const READ_UPDATES: Record<string, string> = {
  api_tokens: "row(x.id, x.user_id, x.name, x.revoked_at)::text",
  payout_accounts: "row(x.user_id, x.provider, x.account_id)::text",
  mail_messages: "row(x.id, x.dedupe_key, x.to_address, x.subject)::text",
};

/**
 * What a refused request must not change: the row count of every table of the public schema, a digest of
 * each domain table's rows (without the columns of READ_UPDATES) and the ledger's
 * balance per currency (always 0: every entry sums to zero).
 */
export async function snapshot(sql: postgres.Sql): Promise<Record<string, string>> {
  const tables = await sql<{ t: string }[]>`
    select table_name as t from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`;
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    if (VOLATILE.test(t)) continue;
    const row = READ_UPDATES[t] ?? "x::text";
    const [r] = await sql.unsafe(
      `select count(*)::text as n, coalesce(md5(string_agg(${row}, ',' order by ${row})), '') as h from "${t}" x`,
    );
    out[t] = `${r?.n} ${r?.h}`;
  }
  for (const r of await sql<{ currency: string; s: string }[]>`
    select currency, sum(amount)::text as s from ledger_lines group by currency order by currency`) {
    out[`ledger_sum:${r.currency}`] = r.s;
  }
  return out;
}

export function diff(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k] ?? "(none)"} → ${b[k] ?? "(none)"}`);
}

/** A snapshot once the world is quiet: three equal snapshots 300 ms apart (at most `timeoutMs`). */
export async function quietSnapshot(sql: postgres.Sql, timeoutMs = 20_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  let prev = await snapshot(sql);
  let same = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const cur = await snapshot(sql);
    same = diff(prev, cur).length === 0 ? same + 1 : 0;
    if (same >= 2 || Date.now() > deadline) return cur;
    prev = cur;
  }
}

const isWrite = (m: string) => m !== "GET" && m !== "HEAD";

/**
 * Run `requests` against the world in batches of `batch` (`concurrency` at a time). After each batch in
 * which every write was refused, the database must be as it was before the batch. `progress` is called
 * after each batch.
 */
export async function runFuzz(
  world: FuzzWorld,
  requests: FuzzRequest[],
  opts: { seed: number; batch?: number; concurrency?: number; progress?: (s: FuzzStats) => void },
): Promise<FuzzStats> {
  const started = Date.now();
  const batchSize = opts.batch ?? 40;
  const concurrency = opts.concurrency ?? 6;
  const stats: FuzzStats = {
    requests: 0,
    byStatus: {},
    fiveXX: 0,
    badErrorBodies: 0,
    refusedBatches: 0,
    changesFromRefused: 0,
    retried: 0,
    failures: [],
    ms: 0,
  };
  let before = await quietSnapshot(world.sql);
  for (let start = 0; start < requests.length; start += batchSize) {
    const batch = requests.slice(start, start + batchSize);
    const results: FuzzResult[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const i = next++;
          if (i >= batch.length) return;
          results[i] = await send(world, batch[i] as FuzzRequest, start + i);
        }
      }),
    );
    let refusedOnly = true;
    results.forEach((r, i) => {
      stats.requests++;
      stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + 1;
      if (r.retried) stats.retried++;
      if (r.status >= 500 || r.status === 0) stats.fiveXX++;
      else if (r.problem) stats.badErrorBodies++;
      if (r.problem) stats.failures.push(describe(world, r, opts.seed, start + i));
      if (isWrite(r.req.method) && r.status < 400) refusedOnly = false;
    });
    if (refusedOnly) {
      stats.refusedBatches++;
      const after = await snapshot(world.sql);
      const changed = diff(before, after);
      if (changed.length > 0) {
        stats.changesFromRefused++;
        stats.failures.push(
          `seed ${opts.seed}, requests ${start}–${start + batch.length - 1}: all refused, yet the database changed:\n  ${changed.join("\n  ")}\n  requests: ${batch.map((r) => `${r.method} ${short(r.path)}`).join(", ")}`,
        );
        before = await quietSnapshot(world.sql);
      } else before = after;
    } else {
      before = await quietSnapshot(world.sql);
    }
    stats.ms = Date.now() - started;
    opts.progress?.(stats);
  }
  stats.ms = Date.now() - started;
  return stats;
}

/** A long path or URL cut to its first 150 characters. */
export const short = (s: string) => (s.length > 150 ? `${s.slice(0, 150)}… (${s.length} chars)` : s);

function describe(world: FuzzWorld, r: FuzzResult, seed: number, index: number): string {
  const { url, init } = materialize(world, r.req, index);
  const body = typeof init.body === "string" ? init.body : "";
  return [
    `seed ${seed}, request #${index} (${r.req.op}, auth ${r.req.auth}): ${r.problem}`,
    `  ${init.method} ${short(url)}`,
    `  headers ${JSON.stringify(r.req.headers).slice(0, 300)}`,
    `  body ${JSON.stringify(body.slice(0, 300))}${body.length > 300 ? ` (${body.length} chars)` : ""}`,
    `  answer ${r.status} ${r.text.slice(0, 300)}`,
  ].join("\n");
}

export function summary(s: FuzzStats): string {
  const statuses = Object.entries(s.byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  return [
    `requests: ${s.requests} in ${(s.ms / 1000).toFixed(1)} s`,
    `by status: ${statuses}`,
    `5xx (or no answer): ${s.fiveXX}`,
    `4xx without the error body: ${s.badErrorBodies}`,
    `batches all refused: ${s.refusedBatches}; of them with changes: ${s.changesFromRefused}`,
    `answered on a second connection: ${s.retried}`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// The world

async function cookieSignIn(base: string, email: string): Promise<string> {
  const csrfRes = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = csrfRes.headers.getSetCookie().map((c) => c.split(";")[0]);
  const res = await fetch(`${base}/api/auth/callback/password`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password: "password", json: "true" }),
  });
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] as string)
    .find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in of ${email} failed (${res.status})`);
  return session;
}

async function call(
  base: string,
  path: string,
  token: string,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(base + path, {
    method: init.method ?? (init.json ? "POST" : "GET"),
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = (await res.json()) as any;
  if (res.status >= 300) throw new Error(`${init.method ?? "POST"} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Make the world the fuzzer aims at on a fresh app: alice's active campaign with a settled contribution of
 * bob's, her draft, bob's campaign, a revoked token and the cookies (a real session, one expired, one signed
 * with another secret, one tampered with). `authSecret` is the app's NEXTAUTH_SECRET.
 */
export async function prepareWorld(p: {
  base: string;
  sql: postgres.Sql;
  tokens: { alice: string; bob: string; carol: string };
  authSecret: string;
}): Promise<FuzzWorld> {
  const { base, tokens } = p;
  const campaign = { story: "A story to fuzz.", goalAmount: 500_000, currency: "USD" };
  const c = await call(base, "/api/campaigns", tokens.alice, { json: { ...campaign, title: "Alice's fuzzed campaign" } });
  await call(base, `/api/campaigns/${c.id}`, tokens.alice, { method: "PATCH", json: { status: "active" } });
  const draft = await call(base, "/api/campaigns", tokens.alice, {
    json: { ...campaign, title: "Alice's draft", status: "draft" },
  });
  const bobs = await call(base, "/api/campaigns", tokens.bob, { json: { ...campaign, title: "Bob's campaign" } });
  const contribution = await call(base, `/api/campaigns/${c.id}/contributions`, tokens.bob, {
    json: { amount: 2500, currency: "USD", message: "Good luck" },
    headers: { "idempotency-key": `fuzz-${Date.now()}` },
  });
  for (let i = 0; i < 100; i++) {
    const now = await call(base, `/api/contributions/${contribution.id}`, tokens.bob);
    if (now.status === "succeeded") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const revoked = await call(base, "/api/me/tokens", tokens.alice, { json: { name: "to revoke" } });
  await call(base, `/api/me/tokens/${revoked.id}`, tokens.alice, { method: "DELETE" });
  const kept = await call(base, "/api/me/tokens", tokens.alice, { json: { name: "kept" } });
  const aliceCookie = await cookieSignIn(base, "alice@example.com");
  await p.sql`insert into users (id, email, name, password_hash)
    select gen_random_uuid(), 'erin@example.com', 'Erin Example', password_hash from users where email = 'alice@example.com'
    on conflict do nothing`;
  const erinCookie = await cookieSignIn(base, "erin@example.com");
  const erinToken = await fetch(`${base}/api/me/tokens`, {
    method: "POST",
    headers: { cookie: erinCookie, "content-type": "application/json" },
    body: JSON.stringify({ name: "ends sessions" }),
  }).then(async (r) => ((await r.json()) as { token: string }).token);
  const [alice] = await p.sql<{ id: string }[]>`select id from users where email = 'alice@example.com'`;
  const claims = { sub: alice?.id, email: "alice@example.com", name: "Alice" };
  const expired = await encode({ token: claims, secret: p.authSecret, maxAge: -3600 });
  const forged = await encode({ token: claims, secret: "another-secret-than-the-apps-0123456789abcdef", maxAge: 3600 });
  const value = aliceCookie.slice(aliceCookie.indexOf("=") + 1);
  const mid = Math.floor(value.length / 2);
  const tampered = value.slice(0, mid) + (value[mid] === "A" ? "B" : "A") + value.slice(mid + 1);
  return {
    base,
    sql: p.sql,
    creds: {
      alice: tokens.alice,
      bob: tokens.bob,
      carol: tokens.carol,
      revokedToken: revoked.token,
      aliceCookie,
      expiredCookie: `next-auth.session-token=${expired}`,
      forgedCookie: `next-auth.session-token=${forged}`,
      tamperedCookie: `next-auth.session-token=${tampered}`,
    },
    ender: { token: erinToken, cookie: erinCookie },
    ids: {
      campaign: c.id,
      draft: draft.id,
      bobCampaign: bobs.id,
      contribution: contribution.id,
      token: kept.id,
      asset: "0198f0e0-1111-7000-8000-000000000001",
    },
  };
}
