/** A place in the event stream: the writing transaction's xid8 and the event's seq, both 64-bit, as decimal text. */
export type Position = { xid: string; seq: string };

/**
 * Compare two stream positions numerically (BigInt): -1, 0 or 1. Never compare their text:
 * "10000" sorts before "9999".
 */
export function comparePositions(a: Position, b: Position): number {
  const x = BigInt(a.xid) - BigInt(b.xid);
  const d = x !== 0n ? x : BigInt(a.seq) - BigInt(b.seq);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * Check that a batch continues strictly after `cursor` in ascending (xid, seq) order. A consumer moves
 * its cursor to the batch's last event, so a batch out of order would apply events twice or jump over
 * some. Throws an Error naming `where` and the first offending position.
 */
export function assertAscending(where: string, cursor: Position, rows: readonly Position[]): void {
  let prev = cursor;
  for (const r of rows) {
    if (comparePositions(r, prev) <= 0) {
      throw new Error(`event stream ${where}: batch out of order at (${r.xid}, ${r.seq}) after (${prev.xid}, ${prev.seq})`);
    }
    prev = r;
  }
}
