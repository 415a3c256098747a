/**
 * A hand-written subset of Stripe's HTTP API, for driving the REAL `stripe` SDK
 * in tests. (Stripe's own stripe-mock is a Go binary and is not available from
 * npm, so we speak just enough of the protocol ourselves.)
 *
 * Implemented: `POST /v1/payment_intents` (create + confirm) and
 * `GET /v1/payment_intents/:id`, with Bearer authentication, form-encoded
 * bodies in Stripe's bracket notation, Stripe's error JSON and status codes,
 * and Idempotency-Key replay/conflict semantics.
 *
 * Test payment methods (as in Stripe's test mode, plus one helper):
 *   pm_card_visa                            → succeeded
 *   pm_card_chargeDeclined                  → 402 card_declined / generic_decline
 *   pm_card_chargeDeclinedInsufficientFunds → 402 card_declined / insufficient_funds
 *   pm_card_pending (test helper)           → processing
 *   anything else                           → 400 resource_missing
 *
 * `failNextRequests(n)` makes the next n requests answer 500 api_error, as an
 * outage in front of the API would: those never reach the idempotency layer, so
 * a retry with the same key is processed normally.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Params = { [key: string]: string | Params };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  params: Params;
}

export interface PaymentIntentJson {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  status: string;
  metadata: Record<string, string>;
  payment_method: string;
  last_payment_error: null | { type: string; code: string; decline_code: string; message: string };
  created: number;
  livemode: false;
  client_secret: string;
}

export interface FakeStripe {
  url: string;
  requests: RecordedRequest[];
  intents: Map<string, PaymentIntentJson>;
  /** The next `n` requests answer `statusCode` (default 500) with an api_error. */
  failNextRequests(n: number, statusCode?: number): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
}

/** Parse `a[b][c]=v&x=y` (URL-encoded) into nested objects; enough for what the SDK sends. */
export function parseForm(body: string): Params {
  const out: Params = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = rawKey.split(/[[\]]+/).filter(Boolean); // "metadata[campaign_id]" → ["metadata", "campaign_id"]
    let node = out;
    for (const seg of path.slice(0, -1)) {
      if (typeof node[seg] !== "object") node[seg] = {};
      node = node[seg] as Params;
    }
    node[path[path.length - 1] ?? rawKey] = value;
  }
  return out;
}

/** Canonical form of a parameter set, for comparing idempotent requests. */
function canonical(p: Params): string {
  return JSON.stringify(p, (_k, v) =>
    v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
const err = (status: number, error: Record<string, unknown>): Reply => ({ status, body: { error } });

const DECLINES: Record<string, string> = {
  pm_card_chargeDeclined: "generic_decline",
  pm_card_chargeDeclinedInsufficientFunds: "insufficient_funds",
};

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const intents = new Map<string, PaymentIntentJson>();
  const idempotent = new Map<string, { fingerprint: string; reply: Reply }>();
  let failures = { remaining: 0, status: 500 };

  function createIntent(p: Params): Reply {
    const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : undefined);
    for (const k of ["amount", "currency"]) {
      if (!str(k))
        return err(400, {
          type: "invalid_request_error",
          code: "parameter_missing",
          param: k,
          message: `Missing required param: ${k}.`,
        });
    }
    const amount = Number(str("amount"));
    if (!Number.isInteger(amount) || amount < 1) {
      return err(400, {
        type: "invalid_request_error",
        code: "parameter_invalid_integer",
        param: "amount",
        message: `Invalid integer: ${str("amount")}`,
      });
    }
    const pm = str("payment_method") ?? "";
    const apm = typeof p.automatic_payment_methods === "object" ? p.automatic_payment_methods : {};
    if (str("confirm") === "true" && apm.enabled === "true" && apm.allow_redirects !== "never" && !str("return_url")) {
      return err(400, {
        type: "invalid_request_error",
        message:
          "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, some of which may require a full page redirect to succeed. Pass a `return_url` or set `automatic_payment_methods[allow_redirects]` to `never`.",
      });
    }
    const known = pm === "pm_card_visa" || pm === "pm_card_pending" || pm in DECLINES;
    if (!known) {
      return err(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "payment_method",
        message: `No such PaymentMethod: '${pm}'`,
      });
    }
    const piId = id("pi");
    const declineCode = DECLINES[pm];
    const lastError = declineCode
      ? {
          type: "card_error",
          code: "card_declined",
          decline_code: declineCode,
          message: declineCode === "insufficient_funds" ? "Your card has insufficient funds." : "Your card was declined.",
        }
      : null;
    const pi: PaymentIntentJson = {
      id: piId,
      object: "payment_intent",
      amount,
      currency: str("currency")!.toLowerCase(),
      status: lastError
        ? "requires_payment_method"
        : pm === "pm_card_pending"
          ? "processing"
          : str("confirm") === "true"
            ? "succeeded"
            : "requires_confirmation",
      metadata: Object.fromEntries(
        Object.entries(typeof p.metadata === "object" ? p.metadata : {}).filter(
          (e): e is [string, string] => typeof e[1] === "string",
        ),
      ),
      payment_method: pm,
      last_payment_error: lastError,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      client_secret: `${piId}_secret_${randomBytes(12).toString("hex")}`,
    };
    intents.set(piId, pi);
    if (lastError) return err(402, { ...lastError, payment_intent: pi });
    return { status: 200, body: pi };
  }

  function handle(
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders,
    params: Params,
  ): Reply & { replayed?: boolean } {
    if (failures.remaining > 0) {
      failures.remaining--;
      return err(failures.status, { type: "api_error", message: "An unknown error occurred (injected by fake-stripe)." });
    }
    const auth = headers.authorization ?? "";
    if (!/^Bearer sk_test_\w+$/.test(auth)) {
      return err(401, {
        type: "invalid_request_error",
        message: auth ? "Invalid API Key provided." : "You did not provide an API key.",
      });
    }
    if (method === "POST" && path === "/v1/payment_intents") {
      const key = headers["idempotency-key"];
      if (typeof key !== "string") return createIntent(params);
      const fingerprint = `${method} ${path} ${canonical(params)}`;
      const seen = idempotent.get(key);
      if (seen && seen.fingerprint !== fingerprint) {
        return err(400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      if (seen) return { ...seen.reply, replayed: true };
      const reply = createIntent(params);
      // Like Stripe: results are saved once the endpoint started executing (success or card error), not validation errors.
      if (reply.status === 200 || reply.status === 402) idempotent.set(key, { fingerprint, reply });
      return reply;
    }
    const m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === "GET" && m) {
      const pi = intents.get(decodeURIComponent(m[1]!));
      if (pi) return { status: 200, body: pi };
      return err(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "intent",
        message: `No such payment_intent: '${m[1]}'`,
      });
    }
    return err(404, { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake-stripe");
      const body = Buffer.concat(chunks).toString("utf8");
      const params = parseForm(req.method === "GET" ? url.searchParams.toString() : body);
      const method = req.method ?? "GET";
      requests.push({ method, path: url.pathname, headers: req.headers, params });
      const reply = handle(method, url.pathname, req.headers, params);
      res.writeHead(reply.status, {
        "Content-Type": "application/json",
        "Request-Id": id("req"),
        ...(req.headers["stripe-version"] ? { "Stripe-Version": req.headers["stripe-version"] } : {}),
        ...(typeof req.headers["idempotency-key"] === "string" ? { "Idempotency-Key": req.headers["idempotency-key"] } : {}),
        ...(reply.replayed ? { "Idempotent-Replayed": "true" } : {}),
      });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    intents,
    failNextRequests(n, statusCode = 500) {
      failures = { remaining: n, status: statusCode };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections(); // the SDK keeps connections alive
      }),
  };
}
