/**
 * Keyset pagination's last step, for queries that asked for `limit + 1` rows ordered by ID: the page is the
 * first `limit` rows, and `nextCursor` (the ID of its last row, per `idOf`) is set only when a further row
 * exists. Callers then filter the next query with `id < cursor`.
 */
export function keysetPage<T>(rows: T[], limit: number, idOf: (row: T) => string): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last !== undefined ? idOf(last) : null };
}
