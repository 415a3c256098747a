import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** The seeded random source of a run: the same seed gives the same operations, amounts, cards and faults. */
export type Rng = ReturnType<typeof xoroshiro128plus>;
export const rngOf = (seed: number): Rng => xoroshiro128plus(seed);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[uniformInt(rng, 0, xs.length - 1)] as T;
export const between = (rng: Rng, from: number, to: number) => uniformInt(rng, from, to);

export interface CampaignRef {
  id: string;
  index: number;
  currency: string;
  /** The API token of its creator (who edits and refunds it). */
  creatorToken: string;
}

/** One client operation, decided before the run from the seed. */
export type Op =
  | { n: number; kind: "contribution"; key: string; campaign: number; donor: number; amount: number; card: string }
  | { n: number; kind: "refund"; key: string; of: number; amount: number }
  | { n: number; kind: "edit"; campaign: number; title: string };

/**
 * Sandbox cards and how often clients use them: most succeed at once, some stay pending and succeed later through
 * the webhook (or reconciliation when it is lost), a few are declined (a failed contribution is an answer too).
 */
const CARDS = [
  ...Array(16).fill("pm_card_visa"),
  "pm_card_mastercard",
  "pm_card_processing",
  "pm_card_processing",
  "pm_card_chargeDeclined",
] as const;

/**
 * The operations of a run: `contributions` contributions, with refunds (~7 %) of earlier contributions of the same
 * client and campaign edits (~8 %), dealt to `clients` queues. A refund names a contribution earlier in its own queue
 * (so it runs after it); all edits of one campaign are in one queue (so "the last acknowledged edit" is defined).
 */
export function planOps(
  rng: Rng,
  o: { contributions: number; clients: number; campaigns: number; donors: number; seed: number },
): Op[][] {
  const queues: Op[][] = Array.from({ length: o.clients }, () => []);
  let n = 0;
  let made = 0;
  const edits = new Map<number, number>();
  while (made < o.contributions) {
    const roll = between(rng, 1, 100);
    if (roll <= 8) {
      const campaign = between(rng, 0, o.campaigns - 1);
      const e = (edits.get(campaign) ?? 0) + 1;
      edits.set(campaign, e);
      queues[campaign % o.clients]?.push({ n: n++, kind: "edit", campaign, title: `Chaos campaign ${campaign}, edit ${e}` });
      continue;
    }
    const client = between(rng, 0, o.clients - 1);
    const q = queues[client] as Op[];
    const earlier = q.filter((x) => x.kind === "contribution");
    if (roll <= 15 && earlier.length > 0) {
      const target = pick(rng, earlier.slice(-20));
      if (target.kind === "contribution") {
        const amount = between(rng, 1, Math.max(1, Math.floor(target.amount / 2)));
        q.push({ n: n++, kind: "refund", key: `chaos-${o.seed}-${n}`, of: target.n, amount });
      }
      continue;
    }
    q.push({
      n: n++,
      kind: "contribution",
      key: `chaos-${o.seed}-${n}`,
      campaign: between(rng, 0, o.campaigns - 1),
      donor: between(rng, 0, o.donors - 1),
      amount: between(rng, 100, 20_000),
      card: pick(rng, CARDS),
    });
    made++;
  }
  return queues;
}

/** What the client log keeps of an operation's end: an acknowledgement (2xx), a refusal (4xx), or no answer in time. */
export interface Outcome {
  n: number;
  kind: Op["kind"];
  result: "ack" | "refused" | "no_answer";
  status?: number;
  code?: string;
  /** The contribution's or refund's ID, from the acknowledgement. */
  id?: string;
  /** Its status in the acknowledgement (succeeded, pending, failed). */
  state?: string;
  key?: string;
  campaign?: number;
  amount?: number;
  title?: string;
  attempts: number;
}

/** Counters shared by every client: answers by status and code, retries, operations finished. */
export interface ClientStats {
  finished: number;
  retries: number;
  /** "503 DATABASE_UNAVAILABLE", "502 UPSTREAM_UNAVAILABLE", "network" … → how many answers. */
  answers: Map<string, number>;
}

const RETRYABLE_4XX = new Set(["IDEMPOTENCY_KEY_IN_USE", "RATE_LIMITED", "CARD_TESTING_SUSPECTED"]);

/**
 * Send one request until it gets a definitive answer: a 2xx, or a 4xx other than "retry" ones (409
 * IDEMPOTENCY_KEY_IN_USE, 429). A network error, a timeout or a 5xx is retried with the same body and
 * Idempotency-Key, with back-off, until `deadline` (then "no answer").
 */
async function untilAnswered(
  stats: ClientStats,
  deadline: number,
  send: () => Promise<Response>,
): Promise<{ status?: number; body?: Record<string, unknown>; attempts: number }> {
  let attempts = 0;
  for (;;) {
    attempts++;
    let label: string;
    try {
      const res = await send();
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {}
      const code = (body.error as { code?: string } | undefined)?.code ?? "";
      label = `${res.status}${code ? ` ${code}` : ""}`;
      stats.answers.set(label, (stats.answers.get(label) ?? 0) + 1);
      if (res.status < 500 && !RETRYABLE_4XX.has(code)) return { status: res.status, body, attempts };
    } catch (e) {
      label = `network (${(e as Error).name === "TimeoutError" ? "timeout" : "connection"})`;
      stats.answers.set(label, (stats.answers.get(label) ?? 0) + 1);
    }
    if (Date.now() > deadline) return { attempts };
    stats.retries++;
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempts, 5)) * (0.5 + Math.random()));
  }
}

/**
 * Run one client's queue against `base` in order, appending every outcome to the client log `logFile` (JSON lines)
 * as it happens. `opTimeoutMs`: how long one operation may take, retries included, before it counts as unanswered.
 */
export async function runClient(p: {
  base: string;
  queue: Op[];
  campaigns: CampaignRef[];
  donorTokens: string[];
  stats: ClientStats;
  logFile: string;
  opTimeoutMs: number;
  outcomes: Map<number, Outcome>;
}): Promise<void> {
  const call = (path: string, method: string, token: string, json: unknown, key?: string) => () =>
    fetch(`${p.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        ...(key ? { "idempotency-key": key } : {}),
      },
      body: JSON.stringify(json),
      signal: AbortSignal.timeout(15_000),
    });
  for (const op of p.queue) {
    const deadline = Date.now() + p.opTimeoutMs;
    let out: Outcome;
    if (op.kind === "contribution") {
      const c = p.campaigns[op.campaign] as CampaignRef;
      const r = await untilAnswered(
        p.stats,
        deadline,
        call(
          `/api/campaigns/${c.id}/contributions`,
          "POST",
          p.donorTokens[op.donor] as string,
          { amount: op.amount, currency: c.currency, paymentMethod: op.card },
          op.key,
        ),
      );
      out = outcome(op, r, { key: op.key, campaign: op.campaign, amount: op.amount });
    } else if (op.kind === "refund") {
      const target = p.outcomes.get(op.of);
      if (target?.result !== "ack" || !target.id) continue; // its contribution was never acknowledged: nothing to refund
      const c = p.campaigns[target.campaign ?? 0] as CampaignRef;
      const r = await untilAnswered(
        p.stats,
        deadline,
        call(`/api/contributions/${target.id}/refunds`, "POST", c.creatorToken, { amount: op.amount, reason: "chaos" }, op.key),
      );
      out = outcome(op, r, { key: op.key, campaign: target.campaign, amount: op.amount });
    } else {
      const c = p.campaigns[op.campaign] as CampaignRef;
      const r = await untilAnswered(
        p.stats,
        deadline,
        call(`/api/campaigns/${c.id}`, "PATCH", c.creatorToken, { title: op.title }),
      );
      out = outcome(op, r, { campaign: op.campaign, title: op.title });
    }
    p.outcomes.set(op.n, out);
    appendFileSync(p.logFile, `${JSON.stringify(out)}\n`);
    p.stats.finished++;
  }
}

function outcome(
  op: Op,
  r: { status?: number; body?: Record<string, unknown>; attempts: number },
  extra: Partial<Outcome>,
): Outcome {
  const base = { n: op.n, kind: op.kind, attempts: r.attempts, ...extra };
  if (r.status === undefined) return { ...base, result: "no_answer" };
  if (r.status >= 400) {
    return { ...base, result: "refused", status: r.status, code: (r.body?.error as { code?: string } | undefined)?.code };
  }
  return { ...base, result: "ack", status: r.status, id: r.body?.id as string, state: r.body?.status as string };
}
