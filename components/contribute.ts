/** Client-side helpers of the Contribute form: presets, idempotency keys, polling, error → message. */
import { appExponent } from "@/lib/money/currency";
import type { ContributionDto } from "@/lib/payments/schemas";
import { type ApiError, apiFetch, describeError } from "./api";
import { formatMoney } from "./format";

export type Tone = "success" | "pending" | "warn" | "error";

/** What the result panel shows; `signIn` adds a sign-in link, `authenticateUrl` a link to authenticate the payment. */
export interface Outcome {
  tone: Tone;
  text: string;
  signIn?: boolean;
  authenticateUrl?: string;
}

/** Preset amounts in minor units: 10/25/50/100 of the currency (1000… for zero-decimal currencies). */
export function presetAmounts(currency: string): number[] {
  const exp = appExponent(currency);
  const majors = exp === 0 ? [1000, 2500, 5000, 10000] : [10, 25, 50, 100];
  return majors.map((m) => m * 10 ** exp);
}

/** The text a person would type for an amount in minor units, e.g. (2500, "USD") → "25". */
export function majorText(amountMinor: number, currency: string): string {
  return String(amountMinor / 10 ** appExponent(currency));
}

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; fall back to random bytes). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a contribution still waits for the provider's answer or the payer's authentication. */
export const isOpen = (c: Pick<ContributionDto, "status">): boolean => c.status === "pending" || c.status === "requires_action";

/** Poll GET /api/contributions/{id} every second, up to 60 s, until it is no longer pending. */
export async function pollContribution(id: string, cancelled: () => boolean): Promise<ContributionDto | undefined> {
  const deadline = Date.now() + 60_000;
  let last: ContributionDto | undefined;
  while (Date.now() < deadline) {
    await sleep(1000);
    if (cancelled()) return undefined;
    const res = await apiFetch<ContributionDto>(`/api/contributions/${encodeURIComponent(id)}`);
    if (res.ok) {
      last = res.data;
      if (!isOpen(last)) return last;
    }
  }
  return last;
}

/** The panel for a final (or still pending after polling) contribution. */
export function finalOutcome(c: ContributionDto): Outcome {
  if (c.status === "succeeded") {
    return { tone: "success", text: `Thank you! Your contribution of ${formatMoney(c.amount, c.currency)} succeeded.` };
  }
  if (c.status === "failed")
    return { tone: "error", text: `Payment failed: ${c.failure?.message ?? "the payment was not completed."}` };
  if (c.status === "requires_action") {
    const url = c.nextAction?.type === "redirect_to_url" ? c.nextAction.redirectToUrl : undefined;
    return { tone: "warn", text: "Your bank asks you to authenticate this payment.", ...(url ? { authenticateUrl: url } : {}) };
  }
  return { tone: "pending", text: "Your payment is still processing. The total will update once it completes." };
}

const FIELDS: Record<string, [string, string]> = {
  amount: ["amount", "Amount"],
  paymentMethod: ["paymentMethod", "Payment method"],
  message: ["message", "Message"],
};

/** An error response → inline field errors and/or a panel; `resetKey` when the key must not be reused. */
export function errorOutcome(
  e: ApiError,
  range: string,
): { fields: Record<string, string>; outcome?: Outcome; resetKey?: boolean } {
  if (e.status === 0) {
    return {
      fields: {},
      outcome: { tone: "error", text: "Could not reach the server. Try again — you will not be charged twice." },
    };
  }
  if (e.status === 401) return { fields: {}, outcome: { tone: "error", text: "Please sign in to contribute.", signIn: true } };
  if (e.code === "IDEMPOTENCY_KEY_IN_USE" || e.status === 503) {
    return { fields: {}, outcome: { tone: "warn", text: "Still working… try again in a moment." } };
  }
  if (e.code === "IDEMPOTENCY_KEY_REUSED")
    return { fields: {}, outcome: { tone: "error", text: "Please try again." }, resetKey: true };
  if (e.code === "CAMPAIGN_CLOSED") return { fields: {}, outcome: { tone: "error", text: e.message } };
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const d of e.details) {
    const target = FIELDS[d.field];
    if (!target) unplaced.push(d.field ? `${d.field}: ${d.message}` : d.message);
    else if (d.field === "amount" && e.code === "AMOUNT_OUT_OF_RANGE") fields.amount ??= `Amount must be ${range}.`;
    else fields[target[0]] ??= `${target[1]} ${d.message}`;
  }
  if (Object.keys(fields).length > 0 && unplaced.length === 0) return { fields };
  return { fields, outcome: { tone: "error", text: [describeError(e), ...unplaced].join(" ") } };
}

/** The campaign's total is updated by the event consumers a moment after the payment: wait (≤ 3 s) until it moved. */
export async function waitForTotals(campaignId: string, countBefore: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const res = await apiFetch<{ contributionCount: number }>(`/api/campaigns/${encodeURIComponent(campaignId)}`);
    if (res.ok && res.data.contributionCount > countBefore) return;
    await sleep(200);
  }
}
