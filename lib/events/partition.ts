import { createHash } from "node:crypto";

/** The consumer partition of a key (a campaign ID): stable across processes and restarts. */
export function partitionOf(key: string, partitions: number): number {
  // md5: not for security, only a stable spread that PostgreSQL can compute too (md5() is built in).
  return createHash("md5").update(key).digest().readUInt32BE(0) % partitions;
}
