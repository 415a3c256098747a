/**
 * A whole-number command-line option (`--campaigns 10_000_000`): `raw` read as a safe integer of at least `min`,
 * `_` allowed between digits; undefined when it is not one, for the caller to refuse with its own usage line.
 * Shared by `npm run seed` and the benches that take counts.
 */
export function wholeNumber(raw: string, min: number): number | undefined {
  const n = Number(raw.replaceAll("_", ""));
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}
