import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { services } from "@/lib/app";
import { mailGroup } from "@/lib/mail/consumer";
import { EVENTS, type EventPayload } from "./catalogue";

/**
 * The consumers of the event stream. Each handles one batch inside the
 * transaction that also advances its cursor (or writes its processed markers),
 * so its effect is applied exactly once. Payloads are checked at run time: an
 * event may have been written by older code; a bad one is parked, not applied.
 */
export interface StreamEvent {
  seq: number;
  id: string;
  type: string;
  partitionKey: string;
  payload: unknown;
  createdAt: Date;
}

/** A batch as a group applies it: each event with its parsed payload, in stream order. */
export type Applied = { event: StreamEvent; data: unknown }[];

export interface ConsumerGroup {
  name: string;
  /** Event types this group cares about; others only move its cursor. */
  types: readonly string[];
  /** Validate one event's payload; throw (e.g. a ZodError) to park it. */
  parse(e: StreamEvent): unknown;
  /** Apply a batch of parsed events (in order) inside `tx`. */
  apply(tx: Db, events: Applied): Promise<void>;
  /** Side effects outside the database, after the batch committed (best effort, e.g. cache invalidation). */
  afterCommit?(events: Applied): Promise<void>;
  /**
   * Where a new cursor of this group starts: at the beginning of the stream (default: the group's effect
   * covers history, e.g. totals), or `now`, after the events already written (a group whose effect makes no
   * sense for old events: mail must not send a receipt for every past contribution when it is deployed).
   */
  startsAt?: "beginning" | "now";
}

/** The events that move a campaign's displayed figures. */
const TOTALS_EVENTS = [
  "contribution.succeeded",
  "contribution.refunded",
  "refund.failed",
  "dispute.opened",
  "dispute.closed",
] as const;
type TotalsEvent = (typeof TOTALS_EVENTS)[number];

/** What one event changes on its campaign, in minor units and contributions. */
interface Delta {
  collected: number;
  count: number;
  held: number;
}

/**
 * The change one event makes to its campaign's collected amount (net of refunds and lost disputes),
 * contribution count (paid and not fully refunded) and held amount (open disputes).
 */
export function totalsDelta(type: TotalsEvent, data: unknown): { campaignId: string } & Delta {
  switch (type) {
    case "contribution.succeeded": {
      const d = data as EventPayload<"contribution.succeeded">;
      return { campaignId: d.campaignId, collected: d.amount, count: 1, held: 0 };
    }
    case "contribution.refunded": {
      const d = data as EventPayload<"contribution.refunded">;
      return { campaignId: d.campaignId, collected: -d.amount, count: d.countChange, held: 0 };
    }
    case "refund.failed": {
      const d = data as EventPayload<"refund.failed">;
      return { campaignId: d.campaignId, collected: d.amount, count: d.countChange, held: 0 };
    }
    case "dispute.opened": {
      const d = data as EventPayload<"dispute.opened">;
      return { campaignId: d.campaignId, collected: 0, count: 0, held: d.amount };
    }
    case "dispute.closed": {
      const d = data as EventPayload<"dispute.closed">;
      return { campaignId: d.campaignId, collected: d.outcome === "lost" ? -d.amount : 0, count: 0, held: -d.amount };
    }
  }
}

/** Fold a batch into one delta per campaign: a viral campaign's 500 events become one UPDATE. */
function fold(events: Applied): Map<string, Delta> {
  const m = new Map<string, Delta>();
  for (const e of events) {
    const d = totalsDelta(e.event.type as TotalsEvent, e.data);
    const cur = m.get(d.campaignId) ?? { collected: 0, count: 0, held: 0 };
    m.set(d.campaignId, {
      collected: cur.collected + d.collected,
      count: cur.count + d.count,
      held: cur.held + d.held,
    });
  }
  return m;
}

export const campaignTotals: ConsumerGroup = {
  name: "campaign-totals",
  types: TOTALS_EVENTS,
  parse: (e) => EVENTS[e.type as TotalsEvent].parse(e.payload),
  // Only once the new totals are committed may caches drop their copies (else they would re-cache the old total).
  afterCommit: (events) => notifyChanged(events.map((e) => (e.data as { campaignId: string }).campaignId)),
  async apply(tx, events) {
    const deltas = fold(events);
    if (deltas.size === 0) return;
    const rows = [...deltas].sort(([a], [b]) => a.localeCompare(b));
    // Lock in ID order first, so two workers folding overlapping campaigns cannot deadlock,
    // then apply the whole batch in one statement (one round trip for hundreds of campaigns).
    // FOR NO KEY UPDATE (what the UPDATE itself takes), not FOR UPDATE: every contribution being
    // written holds FOR KEY SHARE on its campaign through the foreign key, which FOR UPDATE waits
    // for; on a viral campaign new writers keep joining that share lock and the consumer starves.
    const ids = sql.join(
      rows.map(([id]) => sql`${id}::uuid`),
      sql`, `,
    );
    await tx.execute(sql`select 1 from campaigns where id in (${ids}) order by id for no key update`);
    const values = sql.join(
      rows.map(([id, d]) => sql`(${id}::uuid, ${d.collected}::bigint, ${d.count}::int, ${d.held}::bigint)`),
      sql`, `,
    );
    await tx.execute(sql`
      update campaigns c set collected_amount = c.collected_amount + v.amount,
                             contribution_count = c.contribution_count + v.n,
                             held_amount = c.held_amount + v.held
      from (values ${values}) as v(id, amount, n, held) where c.id = v.id`);
  },
};

type Invalidator = (campaignIds: string[]) => Promise<void> | void;

/**
 * The cache-invalidation hook: the caching layer registers here (lib/cache). One hook per `name`: a
 * second registration under the same name (from another copy of the module) replaces the first
 * instead of invalidating twice.
 */
export function onCampaignsChanged(name: string, fn: Invalidator): void {
  services().campaignHooks.set(name, fn);
}

async function notifyChanged(campaignIds: string[]): Promise<void> {
  const ids = [...new Set(campaignIds)];
  for (const fn of services().campaignHooks.values()) await fn(ids);
}

/** Campaign edits and status changes (totals are invalidated by campaign-totals once they are committed). */
export const cacheInvalidation: ConsumerGroup = {
  name: "cache-invalidation",
  types: ["campaign.created", "campaign.updated"],
  // Only the campaign ID matters here; both payloads carry it (lib/events/catalogue.ts).
  parse: (e) => (e.type === "campaign.created" ? EVENTS["campaign.created"] : EVENTS["campaign.updated"]).parse(e.payload),
  async apply() {},
  afterCommit: (events) => notifyChanged(events.map((e) => (e.data as { campaignId: string }).campaignId)),
};

/**
 * The groups every deployment runs: each feeds something people see (totals, fresh cached pages, the mail
 * people receive: lib/mail/consumer.ts).
 */
export const DEFAULT_GROUPS: ConsumerGroup[] = [campaignTotals, cacheInvalidation, mailGroup];
