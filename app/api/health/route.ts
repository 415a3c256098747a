import { sql } from "drizzle-orm";
import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { consumerLag } from "@/lib/events/lag";
import { json, operation } from "@/lib/http";

export const GET = operation(API.getHealth, async () => {
  const started = performance.now();
  try {
    await db().execute(sql`select 1`);
  } catch {
    return json(
      { status: "error", checks: { database: { status: "down" } } },
      { status: 503, headers: { "cache-control": "no-store" } },
    );
  }
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const consumers = await consumerLag(db()).catch(() => ({}));
  return json(
    { status: "ok", checks: { database: { status: "up", latencyMs: ms } }, consumers },
    { headers: { "cache-control": "no-store" } },
  );
});
