import { inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { assets } from "@/db/schema";
import type { AssetStorage } from "./types";

/**
 * Objects no asset row points to: left by a crash between "stored" and "committed" (or
 * "row deleted" and "objects deleted"), by presigned uploads never completed (`u/…`), or by
 * a disk put interrupted mid-copy (`….tmp-…`). Only objects older than `olderThanMs` are
 * touched, so uploads in flight are safe. Serving never depends on this: it starts from rows.
 */
export interface SweepReport {
  scanned: number;
  orphans: string[];
  deleted: number;
}

const ASSET_KEY = /^[cu]\/[0-9a-f-]{36}\/([0-9a-f-]{36})(?:[./]|$)/;

export async function sweepOrphans(
  db: Db,
  storage: AssetStorage,
  opts: { olderThanMs: number; dryRun?: boolean; now?: Date },
): Promise<SweepReport> {
  const cutoff = (opts.now ?? new Date()).getTime() - opts.olderThanMs;
  const report: SweepReport = { scanned: 0, orphans: [], deleted: 0 };
  for (const prefix of ["c/", "u/"]) {
    let batch: { key: string; id?: string }[] = [];
    const flush = async () => {
      const ids = [...new Set(batch.map((b) => b.id).filter((id): id is string => Boolean(id)))];
      const live = new Set(
        ids.length ? (await db.select({ id: assets.id }).from(assets).where(inArray(assets.id, ids))).map((r) => r.id) : [],
      );
      for (const b of batch) {
        const keep = b.id !== undefined && live.has(b.id) && !/\.tmp-[0-9a-f-]{36}$/.test(b.key);
        if (keep) continue;
        report.orphans.push(b.key);
        if (!opts.dryRun) {
          await storage.delete(b.key);
          report.deleted++;
        }
      }
      batch = [];
    };
    for await (const o of storage.list(prefix)) {
      report.scanned++;
      if (o.lastModified.getTime() > cutoff) continue;
      batch.push({ key: o.key, id: ASSET_KEY.exec(o.key)?.[1] });
      if (batch.length >= 500) await flush();
    }
    await flush();
  }
  return report;
}
