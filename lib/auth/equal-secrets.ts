import { timingSafeEqual } from "node:crypto";

/**
 * Whether two secrets (tokens, signatures, client secrets) are equal, compared in constant time for equal
 * lengths (node:crypto timingSafeEqual); a length difference answers false at once, which tells only the length.
 */
export function equalSecrets(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
