/**
 * A hand-written subset of Stripe's HTTP API, for driving the REAL `stripe` SDK
 * in tests. (Stripe's own stripe-mock is a Go binary and is not available from
 * npm, so we speak just enough of the protocol ourselves.)
 *
 * Implemented, with Bearer authentication, form-encoded bodies in Stripe's
 * bracket notation, Stripe's JSON objects, error JSON and status codes, and
 * Idempotency-Key replay/conflict semantics on every POST:
 *
 * Payments
 *   `POST /v1/payment_intents` (create + confirm), `GET /v1/payment_intents/:id`,
 *   `POST /v1/payment_intents/:id/cancel` (cancellation_reason; refused with payment_intent_unexpected_state once
 *   succeeded or canceled), `GET /v1/payment_intents/search` (the query form `metadata['key']:'value'` only; a
 *   search_result list).
 *   Test payment methods (as in Stripe's test mode, plus one helper):
 *     pm_card_visa                            → succeeded
 *     pm_card_chargeDeclined                  → 402 card_declined / generic_decline
 *     pm_card_chargeDeclinedInsufficientFunds → 402 card_declined / insufficient_funds
 *     pm_card_pending (test helper)           → processing
 *     pm_card_authenticationRequired          → requires_action (3-D Secure): next_action redirect_to_url (a
 *                                               page on this server), completed with `authenticate(id, …)`
 *     pm_card_refundFail                      → succeeded; its refunds succeed, then fail (see failRefund)
 *     pm_card_createDispute                   → succeeded; then disputed (see openDispute)
 *     anything else                           → 400 resource_missing
 *   Each PaymentIntent has one charge, `ch_<the PaymentIntent ID's suffix>`.
 *   Amount rules (Stripe's docs page "Supported currencies"), checked in Stripe's units and written here on their
 *   own — never imported from the app, or a test could not catch the app getting them wrong: a currency outside
 *   the presentment list → 400 (param currency); under the currency's minimum → amount_too_small; more than eight
 *   digits (twelve for IDR) → amount_too_large; a three-decimal currency (BHD JOD KWD OMR TND) whose last digit is
 *   not 0, or ISK not in whole krónur → 400 (ISK: invalid_charge_amount_no_decimal_compatible). Refund amounts
 *   must follow the same divisibility.
 *
 * Refunds
 *   `POST /v1/refunds` (payment_intent, amount — default: what remains —, reason, metadata),
 *   `GET /v1/refunds/:id`, `GET /v1/refunds` (filters payment_intent, limit, starting_after; a list
 *   object, newest first, with has_more, so the SDK's auto-pagination works).
 *   Refused with Stripe's 400 invalid_request_error codes: unknown PaymentIntent → resource_missing
 *   (param payment_intent); PaymentIntent not succeeded → payment_intent_unexpected_state; a dispute not won
 *   → charge_disputed; nothing left to refund → charge_already_refunded; more than what remains (the sum of
 *   the non-failed refunds) → amount_too_large. These refusals are saved under the idempotency key (the
 *   endpoint ran), like Stripe.
 *
 * Webhook events: `events()` returns, in order, the Event JSONs Stripe would have sent for what happened
 *   (payment_intent.succeeded / .payment_failed / .processing; refund.created + charge.refunded;
 *   refund.failed + charge.refund.updated; charge.dispute.created + charge.dispute.funds_withdrawn;
 *   charge.dispute.funds_reinstated + charge.dispute.closed), each data.object a snapshot. Sign one with
 *   `Stripe.webhooks.generateTestHeaderString` to deliver it. Test helpers stand in for what Stripe does on
 *   its own later in test mode:
 *   `failRefund(id)`: a pm_card_refundFail refund turns failed (failure_reason expired_or_canceled_card);
 *   `openDispute(paymentIntentId)`: a pm_card_createDispute payment is disputed (needs_response, fraudulent,
 *     funds withdrawn with Stripe's 1500 fee);
 *   `closeDispute(id, "won" | "lost")`: the evidence won or lost (won reinstates the amount, not the fee).
 *   They throw for an unknown object or one in the wrong state.
 *
 * Connect (payouts to creators)
 *   `POST /v1/accounts` (type, email, capabilities[…][requested], metadata),
 *   `GET /v1/accounts/:id` (unknown → 403 account_invalid, as Stripe answers),
 *   `POST /v1/account_links` (→ { object: "account_link", url, expires_at, created }),
 *   `POST /v1/transfers` (amount, currency, destination, transfer_group, metadata),
 *   `GET /v1/transfers` (filters transfer_group, destination, limit, starting_after; a list object, newest first),
 *   `GET /v1/transfers/:id`.
 *   A new account has not onboarded: details_submitted and payouts_enabled are
 *   false, its requested capabilities are `inactive` and requirements.disabled_reason
 *   is `requirements.past_due`. Test helpers stand in for the hosted onboarding
 *   and for Stripe's risk team: `completeOnboarding(id)` (payouts enabled,
 *   capabilities active) and `disableAccount(id, reason)`. Transfers are refused
 *   with Stripe's 400s: unknown destination → resource_missing (param destination);
 *   destination without an active transfers capability →
 *   insufficient_capabilities_for_transfer; more than the platform's available
 *   balance → balance_insufficient. The available balance is unlimited unless a
 *   test sets it with `setAvailableBalance(currency, amount)`; transfers draw on it.
 *
 * Idempotency: like Stripe, the first result for a key is saved once the endpoint
 * started executing (a success, a card decline, a transfer refused for balance or
 * capability) and replayed, with `Idempotent-Replayed: true`, for a repeat with
 * the same parameters; other parameters → 400 idempotency_error. Validation
 * errors (missing or unknown parameters or objects) are not saved.
 *
 * Fault injection:
 *   `failNextRequests(n)` makes the next n requests answer 500 api_error, as an
 *   outage in front of the API would: those never reach the idempotency layer,
 *   so a retry with the same key is processed normally.
 *   `loseNextAnswers(n)`: the next n requests ARE processed (a transfer is made
 *   and its result saved under the idempotency key) but the connection is then
 *   destroyed without an answer — the "answer lost" case. The SDK retries such a
 *   request (stripeClient: maxNetworkRetries 2, so 3 attempts in all); a retry
 *   with the same key gets the saved result, so lose 3 to lose them all.
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
  last_payment_error: null | { type: string; code: string; decline_code?: string; message: string };
  created: number;
  livemode: false;
  client_secret: string;
  return_url?: string | null;
  next_action?: null | { type: "redirect_to_url"; redirect_to_url: { url: string; return_url: string | null } };
  cancellation_reason?: string | null;
}

/** A capability's state on an account, as Stripe reports it. */
export type CapabilityStatus = "active" | "inactive" | "pending";

export interface AccountJson {
  id: string;
  object: "account";
  type: string;
  email: string | null;
  country: string;
  default_currency: string;
  business_type: string | null;
  capabilities: Record<string, CapabilityStatus>;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  requirements: {
    alternatives: [];
    current_deadline: number | null;
    currently_due: string[];
    disabled_reason: string | null;
    errors: [];
    eventually_due: string[];
    past_due: string[];
    pending_verification: string[];
  };
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface TransferJson {
  id: string;
  object: "transfer";
  amount: number;
  amount_reversed: number;
  balance_transaction: string;
  created: number;
  currency: string;
  description: string | null;
  destination: string;
  destination_payment: string;
  livemode: false;
  metadata: Record<string, string>;
  reversals: { object: "list"; data: []; has_more: false; total_count: 0; url: string };
  reversed: false;
  source_transaction: null;
  source_type: "card";
  transfer_group: string | null;
}

export interface RefundJson {
  id: string;
  object: "refund";
  amount: number;
  balance_transaction: string;
  charge: string;
  created: number;
  currency: string;
  failure_reason: string | null;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  receipt_number: null;
  status: "succeeded" | "failed" | "pending" | "canceled" | "requires_action";
}

export interface DisputeJson {
  id: string;
  object: "dispute";
  amount: number;
  balance_transactions: {
    id: string;
    object: "balance_transaction";
    amount: number;
    fee: number;
    net: number;
    currency: string;
    reporting_category: string;
    type: "adjustment";
  }[];
  charge: string;
  created: number;
  currency: string;
  is_charge_refundable: boolean;
  livemode: false;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string;
  status: string;
}

export interface EventJson {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  type: string;
  data: { object: Record<string, unknown> };
}

export interface FakeStripe {
  url: string;
  requests: RecordedRequest[];
  intents: Map<string, PaymentIntentJson>;
  /** Connected accounts, by ID. */
  accounts: Map<string, AccountJson>;
  /** Transfers made, by ID, in the order they were made. */
  transfers: Map<string, TransferJson>;
  /** The next `n` requests answer `statusCode` (default 500) with an api_error. */
  failNextRequests(n: number, statusCode?: number): void;
  /** The next `n` requests are processed, but the connection is destroyed instead of answering. */
  loseNextAnswers(n: number): void;
  /** What the hosted onboarding does once the user finished it: details submitted, payouts enabled, capabilities active. */
  completeOnboarding(accountId: string): void;
  /** Stripe disables the account (e.g. `rejected.fraud`): payouts off, capabilities inactive. */
  disableAccount(accountId: string, reason?: string): void;
  /** The platform's available balance in `currency` (smallest unit); `undefined` = unlimited (the default). */
  setAvailableBalance(currency: string, amount: number | undefined): void;
  /** Refunds made, by ID, in the order they were made. */
  refunds: Map<string, RefundJson>;
  /** Disputes opened, by ID. */
  disputes: Map<string, DisputeJson>;
  /** The webhook events Stripe would have sent so far, oldest first (snapshots). */
  events(): EventJson[];
  /** Later, in test mode: a pm_card_refundFail payment's refund fails (refund.failed, charge.refund.updated). */
  failRefund(refundId: string): RefundJson;
  /** Later, in test mode: a pm_card_createDispute payment is disputed (charge.dispute.created, .funds_withdrawn). */
  openDispute(paymentIntentId: string): DisputeJson;
  /**
   * The payer's answer to a pm_card_authenticationRequired payment's 3-D Secure challenge: `complete` → succeeded
   * (payment_intent.succeeded), `fail` → requires_payment_method with payment_intent_authentication_failure
   * (payment_intent.payment_failed). Throws unless the PaymentIntent requires action.
   */
  authenticate(paymentIntentId: string, outcome: "complete" | "fail"): PaymentIntentJson;
  /** The dispute's evidence won or lost (won: .funds_reinstated; both: charge.dispute.closed). */
  closeDispute(disputeId: string, outcome: "won" | "lost"): DisputeJson;
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
const now = () => Math.floor(Date.now() / 1000);
const missing = (param: string) =>
  err(400, { type: "invalid_request_error", code: "parameter_missing", param, message: `Missing required param: ${param}.` });
const badInteger = (param: string, value: string | undefined) =>
  err(400, { type: "invalid_request_error", code: "parameter_invalid_integer", param, message: `Invalid integer: ${value}` });
const metadataOf = (p: Params): Record<string, string> =>
  Object.fromEntries(
    Object.entries(typeof p.metadata === "object" ? p.metadata : {}).filter(
      (e): e is [string, string] => typeof e[1] === "string",
    ),
  );

const DECLINES: Record<string, string> = {
  pm_card_chargeDeclined: "generic_decline",
  pm_card_chargeDeclinedInsufficientFunds: "insufficient_funds",
};

/** What an Express account still owes before Stripe enables it (a subset of a real new account's list). */
const ONBOARDING_DUE = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"];

/** Stripe's refusals of a refund that are saved under the idempotency key (the endpoint ran). */
const REFUND_REFUSALS = new Set([
  "payment_intent_unexpected_state",
  "charge_disputed",
  "charge_already_refunded",
  "amount_too_large",
]);

/** Stripe's dispute fee ($15.00), in minor units of the dispute's currency (as the sandbox: see SANDBOX_DISPUTE_FEE). */
const DISPUTE_FEE = 1500;

/** The API version the events say they were rendered with. */
const API_VERSION = "2025-01-01";

const chargeIdOf = (piId: string) => `ch_${piId.replace(/^pi_/, "")}`;

/** Stripe's presentment currencies (lower case, as the API takes them): "Supported currencies". */
const PRESENTMENT = new Set(
  (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf chf " +
    "clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils " +
    "inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk " +
    "mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp " +
    "sle sll sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xcg xof xpf yer zar zmw"
  ).split(" "),
);
/** Zero-decimal currencies: the amount is in whole units. Everything else is two-decimal, except THREE_DECIMAL. */
const ZERO_DECIMAL = new Set("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split(" "));
/** Three-decimal currencies: amounts in thousandths whose last digit must be 0. */
const THREE_DECIMAL = new Set("bhd jod kwd omr tnd".split(" "));
/** "Minimum and maximum charge amounts", in the API's units; other currencies: 50 (0.50 of a two-decimal one). */
// biome-ignore format: a table
const MINIMUM: Record<string, number> = {
  usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, nzd: 50, chf: 50, sgd: 50, hkd: 400, jpy: 50, mxn: 1000, brl: 50,
  inr: 50, sek: 300, nok: 300, dkk: 250, pln: 200, czk: 1500, huf: 17500, ron: 200, bgn: 100, thb: 1000, myr: 200,
  aed: 200,
};
/** The amount field takes eight digits; IDR twelve. */
const maximumOf = (currency: string) => (currency === "idr" ? 999_999_999_999 : 99_999_999);

/** Stripe's refusal of an amount it cannot charge in `currency` (lower case), or undefined. `minimum`: charges only. */
function amountRefusal(amount: number, currency: string, minimum: boolean): Reply | undefined {
  const refuse = (code: string | undefined, message: string, param = "amount") =>
    err(400, { type: "invalid_request_error", ...(code ? { code } : {}), param, message });
  if (!PRESENTMENT.has(currency)) {
    return refuse(
      undefined,
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...PRESENTMENT].join(", ")}`,
      "currency",
    );
  }
  const exp = ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : 2;
  const major = (n: number) => `${(n / 10 ** exp).toFixed(exp)} ${currency}`;
  const min = MINIMUM[currency] ?? 50;
  if (minimum && amount < min) return refuse("amount_too_small", `Amount must be at least ${major(min)}`);
  if (amount > maximumOf(currency))
    return refuse("amount_too_large", `Amount must be no more than ${major(maximumOf(currency))}`);
  if (THREE_DECIMAL.has(currency) && amount % 10 !== 0) {
    return refuse("invalid_amount", `Invalid amount: ${currency} amounts must be rounded to the nearest ten (last digit 0)`);
  }
  if (currency === "isk" && amount % 100 !== 0) {
    return refuse(
      "invalid_charge_amount_no_decimal_compatible",
      "Invalid amount. Currency ISK has become effectively zero-decimal and charged amounts must be evenly divisible by 100.",
    );
  }
  return undefined;
}

/** Stripe's refusals of a transfer that are saved under the idempotency key (the endpoint ran). */
const TRANSFER_REFUSALS = new Set(["balance_insufficient", "insufficient_capabilities_for_transfer"]);

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const intents = new Map<string, PaymentIntentJson>();
  /** This server's own URL, once it listens (the 3-D Secure page of next_action lives here, as Stripe's does). */
  let selfUrl = "";
  const accounts = new Map<string, AccountJson>();
  const transfers = new Map<string, TransferJson>();
  const refunds = new Map<string, RefundJson>();
  const disputes = new Map<string, DisputeJson>();
  const events: EventJson[] = [];
  const balance = new Map<string, number>(); // currency → available; absent = unlimited
  const idempotent = new Map<string, { fingerprint: string; reply: Reply }>();
  let failures = { remaining: 0, status: 500 };
  let answersToLose = 0;

  function createIntent(p: Params): Reply {
    const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : undefined);
    for (const k of ["amount", "currency"]) {
      if (!str(k)) return missing(k);
    }
    const amount = Number(str("amount"));
    if (!Number.isInteger(amount) || amount < 1) return badInteger("amount", str("amount"));
    const refused = amountRefusal(amount, str("currency")!.toLowerCase(), true);
    if (refused) return refused;
    const pm = str("payment_method") ?? "";
    const apm = typeof p.automatic_payment_methods === "object" ? p.automatic_payment_methods : {};
    if (str("confirm") === "true" && apm.enabled === "true" && apm.allow_redirects !== "never" && !str("return_url")) {
      return err(400, {
        type: "invalid_request_error",
        message:
          "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, some of which may require a full page redirect to succeed. Pass a `return_url` or set `automatic_payment_methods[allow_redirects]` to `never`.",
      });
    }
    const known =
      [
        "pm_card_visa",
        "pm_card_pending",
        "pm_card_refundFail",
        "pm_card_createDispute",
        "pm_card_authenticationRequired",
      ].includes(pm) || pm in DECLINES;
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
          : pm === "pm_card_authenticationRequired" && str("confirm") === "true"
            ? "requires_action"
            : str("confirm") === "true"
              ? "succeeded"
              : "requires_confirmation",
      metadata: metadataOf(p),
      payment_method: pm,
      last_payment_error: lastError,
      created: now(),
      livemode: false,
      client_secret: `${piId}_secret_${randomBytes(12).toString("hex")}`,
      return_url: str("return_url") ?? null,
      next_action: null,
      cancellation_reason: null,
    };
    if (pi.status === "requires_action") {
      const url = `${selfUrl}/3ds/authenticate/${piId}`;
      pi.next_action = { type: "redirect_to_url", redirect_to_url: { url, return_url: pi.return_url ?? null } };
      emit("payment_intent.requires_action", pi);
    }
    intents.set(piId, pi);
    if (pi.status === "succeeded") emit("payment_intent.succeeded", pi);
    if (pi.status === "processing") emit("payment_intent.processing", pi);
    if (lastError) {
      emit("payment_intent.payment_failed", pi);
      return err(402, { ...lastError, payment_intent: pi });
    }
    return { status: 200, body: pi };
  }

  /** Stripe's cancel: only before the PaymentIntent succeeded or was canceled. */
  function cancelIntent(piId: string, p: Params): Reply {
    const pi = intents.get(piId);
    if (!pi) {
      return err(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "intent",
        message: `No such payment_intent: '${piId}'`,
      });
    }
    if (pi.status === "succeeded" || pi.status === "canceled") {
      return err(400, {
        type: "invalid_request_error",
        code: "payment_intent_unexpected_state",
        message: `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        payment_intent: pi,
      });
    }
    pi.status = "canceled";
    pi.next_action = null;
    pi.cancellation_reason = typeof p.cancellation_reason === "string" ? p.cancellation_reason : null;
    emit("payment_intent.canceled", pi);
    return { status: 200, body: pi };
  }

  /** Stripe's Search API over PaymentIntents, for the one query form the app sends: `metadata['key']:'value'`. */
  function searchIntents(p: Params): Reply {
    const q = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(typeof p.query === "string" ? p.query : "");
    if (!q) return err(400, { type: "invalid_request_error", param: "query", message: "fake-stripe: unsupported search query" });
    const data = [...intents.values()].filter((pi) => pi.metadata[q[1]!] === q[2]).reverse();
    return {
      status: 200,
      body: { object: "search_result", data, has_more: false, next_page: null, url: "/v1/payment_intents/search" },
    };
  }

  /** Record the event Stripe would send, with a snapshot of its object. */
  function emit(type: string, object: object) {
    events.push({
      id: id("evt"),
      object: "event",
      api_version: API_VERSION,
      created: now(),
      livemode: false,
      pending_webhooks: 1,
      type,
      data: { object: structuredClone(object) as Record<string, unknown> },
    });
  }

  const refundsOf = (piId: string) => [...refunds.values()].filter((r) => r.payment_intent === piId);
  const refundedOf = (piId: string) =>
    refundsOf(piId)
      .filter((r) => r.status !== "failed" && r.status !== "canceled")
      .reduce((sum, r) => sum + r.amount, 0);

  /** The Charge JSON of a PaymentIntent (as in charge.refunded), with its refunds. */
  function chargeJson(pi: PaymentIntentJson) {
    const amountRefunded = refundedOf(pi.id);
    const list = refundsOf(pi.id).reverse();
    return {
      id: chargeIdOf(pi.id),
      object: "charge",
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: amountRefunded,
      captured: true,
      created: pi.created,
      currency: pi.currency,
      disputed: [...disputes.values()].some((d) => d.payment_intent === pi.id),
      livemode: false,
      metadata: pi.metadata,
      paid: true,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      refunded: amountRefunded >= pi.amount,
      refunds: {
        object: "list",
        data: list,
        has_more: false,
        total_count: list.length,
        url: `/v1/charges/${chargeIdOf(pi.id)}/refunds`,
      },
      status: "succeeded",
    };
  }

  function createRefund(p: Params): Reply {
    const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : undefined);
    const piId = str("payment_intent");
    if (!piId && !str("charge")) return missing("payment_intent");
    const pi = piId ? intents.get(piId) : undefined;
    if (!pi) {
      return err(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: piId ? "payment_intent" : "charge",
        message: piId ? `No such payment_intent: '${piId}'` : `No such charge: '${str("charge")}'`,
      });
    }
    const reason = str("reason");
    if (reason !== undefined && !["duplicate", "fraudulent", "requested_by_customer"].includes(reason)) {
      return err(400, {
        type: "invalid_request_error",
        param: "reason",
        message: "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
      });
    }
    const refusal = (code: string, message: string) => err(400, { type: "invalid_request_error", code, message });
    if (pi.status !== "succeeded") {
      return refusal(
        "payment_intent_unexpected_state",
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
      );
    }
    const charge = chargeIdOf(pi.id);
    if ([...disputes.values()].some((d) => d.payment_intent === pi.id && d.status !== "won")) {
      return refusal("charge_disputed", `Charge ${charge} has been charged back; cannot issue a refund.`);
    }
    const remaining = pi.amount - refundedOf(pi.id);
    if (remaining <= 0) return refusal("charge_already_refunded", `Charge ${charge} has already been refunded.`);
    const amount = str("amount") === undefined ? remaining : Number(str("amount"));
    if (!Number.isInteger(amount) || amount < 1) return badInteger("amount", str("amount"));
    const refused = amountRefusal(amount, pi.currency, false);
    if (refused) return refused;
    if (amount > remaining) {
      return refusal(
        "amount_too_large",
        `Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(remaining / 100).toFixed(2)})`,
      );
    }
    const refund: RefundJson = {
      id: id("re"),
      object: "refund",
      amount,
      balance_transaction: id("txn"),
      charge,
      created: now(),
      currency: pi.currency,
      failure_reason: null,
      metadata: metadataOf(p),
      payment_intent: pi.id,
      reason: reason ?? null,
      receipt_number: null,
      status: "succeeded",
    };
    refunds.set(refund.id, refund);
    emit("refund.created", refund);
    emit("charge.refunded", chargeJson(pi));
    return { status: 200, body: refund };
  }

  function listRefunds(p: Params): Reply {
    const matching = [...refunds.values()]
      .reverse() // newest first, as Stripe lists
      .filter((r) => typeof p.payment_intent !== "string" || r.payment_intent === p.payment_intent);
    return listReply(p, matching, "/v1/refunds", "refund");
  }

  /** Stripe's list object over `items` (newest first): `limit` 1–100 (default 10), `starting_after` an ID in it. */
  function listReply<T extends { id: string }>(p: Params, items: T[], url: string, noun: string): Reply {
    const limitParam = typeof p.limit === "string" ? p.limit : "10";
    const limit = Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return err(400, {
        type: "invalid_request_error",
        param: "limit",
        message: `Invalid integer: ${limitParam}; must be between 1 and 100`,
      });
    }
    let matching = items;
    if (typeof p.starting_after === "string") {
      const at = matching.findIndex((r) => r.id === p.starting_after);
      if (at < 0) {
        return err(400, {
          type: "invalid_request_error",
          code: "resource_missing",
          param: "starting_after",
          message: `No such ${noun}: '${p.starting_after}'`,
        });
      }
      matching = matching.slice(at + 1);
    }
    return { status: 200, body: { object: "list", data: matching.slice(0, limit), has_more: matching.length > limit, url } };
  }

  function createAccount(p: Params): Reply {
    const type = typeof p.type === "string" ? p.type : "standard";
    if (!["express", "standard", "custom"].includes(type)) {
      return err(400, {
        type: "invalid_request_error",
        param: "type",
        message: `Invalid type: must be one of custom, express, or standard`,
      });
    }
    const capabilities: Record<string, CapabilityStatus> = {};
    for (const [name, c] of Object.entries(typeof p.capabilities === "object" ? p.capabilities : {})) {
      if (typeof c === "object" && c.requested === "true") capabilities[name] = "inactive";
    }
    const account: AccountJson = {
      id: `acct_${randomBytes(8).toString("hex").toUpperCase()}`,
      object: "account",
      type,
      email: typeof p.email === "string" ? p.email : null,
      country: typeof p.country === "string" ? p.country : "US",
      default_currency: "usd",
      business_type: null,
      capabilities,
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      requirements: {
        alternatives: [],
        current_deadline: null,
        currently_due: [...ONBOARDING_DUE],
        disabled_reason: "requirements.past_due",
        errors: [],
        eventually_due: [...ONBOARDING_DUE],
        past_due: [...ONBOARDING_DUE],
        pending_verification: [],
      },
      metadata: metadataOf(p),
      created: now(),
      livemode: false,
    };
    accounts.set(account.id, account);
    return { status: 200, body: account };
  }

  function createAccountLink(p: Params): Reply {
    for (const k of ["account", "type"]) {
      if (typeof p[k] !== "string") return missing(k);
    }
    const account = accounts.get(p.account as string);
    if (!account) {
      return err(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "account",
        message: `No such account: '${p.account}'`,
      });
    }
    if (p.type !== "account_onboarding" && p.type !== "account_update") {
      return err(400, {
        type: "invalid_request_error",
        param: "type",
        message: `Invalid type: must be one of account_onboarding or account_update`,
      });
    }
    const created = now();
    return {
      status: 200,
      body: {
        object: "account_link",
        created,
        expires_at: created + 300,
        url: `https://connect.stripe.com/setup/${account.type[0]}/${account.id}/${randomBytes(9).toString("base64url")}`,
      },
    };
  }

  function createTransfer(p: Params): Reply {
    const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : undefined);
    for (const k of ["amount", "currency", "destination"]) {
      if (!str(k)) return missing(k);
    }
    const amount = Number(str("amount"));
    if (!Number.isInteger(amount) || amount < 1) return badInteger("amount", str("amount"));
    const currency = str("currency")!.toLowerCase();
    const destination = str("destination")!;
    const account = accounts.get(destination);
    if (!account) {
      return err(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "destination",
        message: `No such destination: '${destination}'`,
      });
    }
    if (account.capabilities.transfers !== "active") {
      return err(400, {
        type: "invalid_request_error",
        code: "insufficient_capabilities_for_transfer",
        message:
          "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
      });
    }
    const available = balance.get(currency);
    if (available !== undefined && amount > available) {
      return err(400, {
        type: "invalid_request_error",
        code: "balance_insufficient",
        message:
          "You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card. See: https://stripe.com/docs/testing#available-balance",
      });
    }
    if (available !== undefined) balance.set(currency, available - amount);
    const trId = id("tr");
    const transfer: TransferJson = {
      id: trId,
      object: "transfer",
      amount,
      amount_reversed: 0,
      balance_transaction: id("txn"),
      created: now(),
      currency,
      description: str("description") ?? null,
      destination,
      destination_payment: id("py"),
      livemode: false,
      metadata: metadataOf(p),
      reversals: { object: "list", data: [], has_more: false, total_count: 0, url: `/v1/transfers/${trId}/reversals` },
      reversed: false,
      source_transaction: null,
      source_type: "card",
      transfer_group: str("transfer_group") ?? null,
    };
    transfers.set(trId, transfer);
    return { status: 200, body: transfer };
  }

  function listTransfers(p: Params): Reply {
    const matching = [...transfers.values()]
      .reverse() // newest first, as Stripe lists
      .filter((t) => typeof p.transfer_group !== "string" || t.transfer_group === p.transfer_group)
      .filter((t) => typeof p.destination !== "string" || t.destination === p.destination);
    return listReply(p, matching, "/v1/transfers", "transfer");
  }

  /** Stripe's idempotency layer in front of a creating endpoint: `keep` says which results are saved. */
  function idempotently(
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders,
    params: Params,
    run: (p: Params) => Reply,
    keep: (r: Reply) => boolean,
  ): Reply & { replayed?: boolean } {
    const key = headers["idempotency-key"];
    if (typeof key !== "string") return run(params);
    const fingerprint = `${method} ${path} ${canonical(params)}`;
    const seen = idempotent.get(key);
    if (seen && seen.fingerprint !== fingerprint) {
      return err(400, {
        type: "idempotency_error",
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    if (seen) return { ...seen.reply, replayed: true };
    const reply = run(params);
    if (keep(reply)) idempotent.set(key, { fingerprint, reply });
    return reply;
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
    const ok = (r: Reply) => r.status === 200;
    if (method === "POST" && path === "/v1/payment_intents") {
      // Like Stripe: results are saved once the endpoint started executing (success or card error), not validation errors.
      return idempotently(method, path, headers, params, createIntent, (r) => r.status === 200 || r.status === 402);
    }
    if (method === "POST" && path === "/v1/accounts") return idempotently(method, path, headers, params, createAccount, ok);
    if (method === "POST" && path === "/v1/account_links") {
      return idempotently(method, path, headers, params, createAccountLink, ok);
    }
    if (method === "POST" && path === "/v1/transfers") {
      const refused = (r: Reply) => {
        const code = (r.body as { error?: { code?: string } }).error?.code;
        return r.status === 400 && code !== undefined && TRANSFER_REFUSALS.has(code);
      };
      return idempotently(method, path, headers, params, createTransfer, (r) => ok(r) || refused(r));
    }
    if (method === "GET" && path === "/v1/transfers") return listTransfers(params);
    if (method === "POST" && path === "/v1/refunds") {
      const refused = (r: Reply) => {
        const code = (r.body as { error?: { code?: string } }).error?.code;
        return r.status === 400 && code !== undefined && REFUND_REFUSALS.has(code);
      };
      return idempotently(method, path, headers, params, createRefund, (r) => ok(r) || refused(r));
    }
    if (method === "GET" && path === "/v1/refunds") return listRefunds(params);

    if (method === "GET" && path === "/v1/payment_intents/search") return searchIntents(params);
    const cancel = /^\/v1\/payment_intents\/([^/]+)\/cancel$/.exec(path);
    if (method === "POST" && cancel) {
      const refused = (r: Reply) => r.status === 400;
      return idempotently(
        method,
        path,
        headers,
        params,
        (p) => cancelIntent(decodeURIComponent(cancel[1]!), p),
        (r) => ok(r) || refused(r),
      );
    }
    const m = /^\/v1\/(payment_intents|accounts|transfers|refunds)\/([^/]+)$/.exec(path);
    if (method === "GET" && m) {
      const objectId = decodeURIComponent(m[2]!);
      if (m[1] === "payment_intents") {
        const pi = intents.get(objectId);
        if (pi) return { status: 200, body: pi };
        return err(404, {
          type: "invalid_request_error",
          code: "resource_missing",
          param: "intent",
          message: `No such payment_intent: '${objectId}'`,
        });
      }
      if (m[1] === "accounts") {
        const account = accounts.get(objectId);
        if (account) return { status: 200, body: account };
        // Stripe does not say "not found" for an account: it is one the key has no access to.
        const key = auth.slice("Bearer ".length);
        return err(403, {
          type: "invalid_request_error",
          code: "account_invalid",
          message: `The provided key '${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}' does not have access to account '${objectId}' (or that account does not exist). Application access may have been revoked.`,
        });
      }
      if (m[1] === "refunds") {
        const refund = refunds.get(objectId);
        if (refund) return { status: 200, body: refund };
        return err(404, {
          type: "invalid_request_error",
          code: "resource_missing",
          param: "id",
          message: `No such refund: '${objectId}'`,
        });
      }
      const transfer = transfers.get(objectId);
      if (transfer) return { status: 200, body: transfer };
      return err(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "id",
        message: `No such transfer: '${objectId}'`,
      });
    }
    return err(404, { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` });
  }

  function account(accountId: string): AccountJson {
    const a = accounts.get(accountId);
    if (!a) throw new Error(`fake-stripe: no account ${accountId}`);
    return a;
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
      if (answersToLose > 0) {
        // Processed (and saved under its idempotency key), but the answer never reaches the client.
        answersToLose--;
        req.socket.destroy();
        return;
      }
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
  selfUrl = `http://127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    intents,
    accounts,
    transfers,
    failNextRequests(n, statusCode = 500) {
      failures = { remaining: n, status: statusCode };
    },
    loseNextAnswers(n) {
      answersToLose = n;
    },
    completeOnboarding(accountId) {
      const a = account(accountId);
      a.details_submitted = true;
      a.payouts_enabled = true;
      a.charges_enabled = "card_payments" in a.capabilities;
      for (const name of Object.keys(a.capabilities)) a.capabilities[name] = "active";
      a.requirements = { ...a.requirements, currently_due: [], eventually_due: [], past_due: [], disabled_reason: null };
    },
    disableAccount(accountId, reason = "rejected.other") {
      const a = account(accountId);
      a.payouts_enabled = false;
      a.charges_enabled = false;
      for (const name of Object.keys(a.capabilities)) a.capabilities[name] = "inactive";
      a.requirements = { ...a.requirements, disabled_reason: reason };
    },
    setAvailableBalance(currency, amount) {
      if (amount === undefined) balance.delete(currency.toLowerCase());
      else balance.set(currency.toLowerCase(), amount);
    },
    refunds,
    disputes,
    events: () => structuredClone(events),
    authenticate(paymentIntentId, outcome) {
      const pi = intents.get(paymentIntentId);
      if (pi?.status !== "requires_action") throw new Error(`fake-stripe: ${paymentIntentId} does not require action`);
      pi.next_action = null;
      if (outcome === "complete") {
        pi.status = "succeeded";
        emit("payment_intent.succeeded", pi);
      } else {
        pi.status = "requires_payment_method";
        pi.last_payment_error = {
          type: "invalid_request_error",
          code: "payment_intent_authentication_failure",
          message: "The provided PaymentMethod has failed authentication.",
        };
        emit("payment_intent.payment_failed", pi);
      }
      return structuredClone(pi);
    },
    failRefund(refundId) {
      const r = refunds.get(refundId);
      if (!r) throw new Error(`fake-stripe: no refund ${refundId}`);
      if (intents.get(r.payment_intent)?.payment_method !== "pm_card_refundFail") {
        throw new Error(`fake-stripe: refund ${refundId} is not of a pm_card_refundFail payment; it does not fail`);
      }
      if (r.status !== "succeeded") throw new Error(`fake-stripe: refund ${refundId} is ${r.status}`);
      r.status = "failed";
      r.failure_reason = "expired_or_canceled_card";
      emit("refund.failed", r);
      emit("charge.refund.updated", r);
      return structuredClone(r);
    },
    openDispute(paymentIntentId) {
      const pi = intents.get(paymentIntentId);
      if (!pi) throw new Error(`fake-stripe: no payment_intent ${paymentIntentId}`);
      if (pi.payment_method !== "pm_card_createDispute" || pi.status !== "succeeded") {
        throw new Error(`fake-stripe: ${paymentIntentId} is not a succeeded pm_card_createDispute payment; it is not disputed`);
      }
      if ([...disputes.values()].some((d) => d.payment_intent === pi.id)) {
        throw new Error(`fake-stripe: ${paymentIntentId} is already disputed`);
      }
      const amount = pi.amount - refundedOf(pi.id);
      const d: DisputeJson = {
        id: id("dp"),
        object: "dispute",
        amount,
        balance_transactions: [
          {
            id: id("txn"),
            object: "balance_transaction",
            amount: -amount,
            fee: DISPUTE_FEE,
            net: -amount - DISPUTE_FEE,
            currency: pi.currency,
            reporting_category: "dispute",
            type: "adjustment",
          },
        ],
        charge: chargeIdOf(pi.id),
        created: now(),
        currency: pi.currency,
        is_charge_refundable: false,
        livemode: false,
        metadata: {},
        payment_intent: pi.id,
        reason: "fraudulent",
        status: "needs_response",
      };
      disputes.set(d.id, d);
      emit("charge.dispute.created", d);
      emit("charge.dispute.funds_withdrawn", d);
      return structuredClone(d);
    },
    closeDispute(disputeId, outcome) {
      const d = disputes.get(disputeId);
      if (!d) throw new Error(`fake-stripe: no dispute ${disputeId}`);
      if (d.status === "won" || d.status === "lost") throw new Error(`fake-stripe: dispute ${disputeId} is already ${d.status}`);
      d.status = outcome;
      if (outcome === "won") {
        d.balance_transactions.push({
          id: id("txn"),
          object: "balance_transaction",
          amount: d.amount,
          fee: 0,
          net: d.amount,
          currency: d.currency,
          reporting_category: "dispute_reversal",
          type: "adjustment",
        });
        emit("charge.dispute.funds_reinstated", d);
      }
      emit("charge.dispute.closed", d);
      return structuredClone(d);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections(); // the SDK keeps connections alive
      }),
  };
}
