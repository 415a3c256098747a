import { after } from "next/server";
import type { Db } from "@/db/client";
import type { Config } from "@/lib/config";
import { drainFromRequest } from "./index";

/**
 * Once a payment of `campaignId` has settled in this request: with EVENT_DRAIN_AFTER_SETTLE (hosts where
 * no consumer runs in the background, Vercel by default), apply that campaign's partition in `after()`,
 * so its total moves within about a second of the answer; otherwise nothing. Route handlers only: this
 * module loads next/server, which the launcher, the worker and the CLI must not (it needs Next.js's
 * request storage at load time).
 */
export function drainAfterSettle(db: Db, c: Config, campaignId: string): void {
  if (!c.drainAfterSettle) return;
  after(() => drainFromRequest(db, c, { budgetMs: 2000, campaignId }).then(() => {}));
}
