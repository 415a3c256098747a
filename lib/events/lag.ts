import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

export interface GroupLag {
  /** Events not yet applied (capped at 100,000 to keep the query cheap). */
  events: number;
  /** Age of the oldest event not yet applied, in milliseconds (0 when caught up). */
  oldestMs: number;
  parked: number;
}

/** Each consumer group's lag behind the outbox (PostgreSQL transport cursors). */
export async function consumerLag(db: Db): Promise<Record<string, GroupLag>> {
  const rows = await db.execute<{ group: string; events: number; oldest_ms: number; parked: number }>(sql`
    select c."group",
           (select count(*)::int from (
              select 1 from outbox_events o
              join consumer_cursors k on k."group" = c."group" and k.partition = o.partition
              where (o.xid, o.seq) > (k.last_xid, k.last_seq) limit 100000) x) as events,
           coalesce((select (extract(epoch from now() - min(o.created_at)) * 1000)::int
              from outbox_events o join consumer_cursors k on k."group" = c."group" and k.partition = o.partition
              where (o.xid, o.seq) > (k.last_xid, k.last_seq)), 0) as oldest_ms,
           (select count(*)::int from parked_events p where p."group" = c."group") as parked
    from (select distinct "group" from consumer_cursors) c order by c."group"`);
  return Object.fromEntries(rows.map((r) => [r.group, { events: r.events, oldestMs: r.oldest_ms, parked: r.parked }]));
}
