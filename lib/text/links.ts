/**
 * Web addresses in free text (a campaign's story), to show as links and nothing else: the text around them stays
 * text (React escapes it), so `<script>` or `javascript:` in a story is shown as typed, never interpreted.
 *
 * Written here rather than taken from a linkifying library (linkify-it is the usual one) because the app cannot add
 * a dependency for it today and it needs only this: absolute http(s) addresses, nothing guessed from bare domains.
 */

/** A piece of text: plain, or a web address (`href`: the address as the browser will open it). */
export type TextPiece = { text: string } | { text: string; href: string };

/**
 * An address starts with http:// or https:// (any case) at the start or after a character that is not a letter,
 * digit or one of "/:@.-" (so "xhttp://…" and "foo/http://…" are not one), and runs to the next space, quote or
 * angle bracket.
 */
const CANDIDATE = /(?<![\p{L}\p{N}/:@.-])https?:\/\/[^\s<>"'`\u00a0\u2000-\u200b\u2028\u2029\u3000]+/giu;

/** Punctuation that ends a sentence rather than an address: "see https://example.org." */
const TRAILING = /[.,;:!?*_~]+$/;
const CLOSERS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/** The address without the punctuation a sentence puts after it, and without closing brackets it does not open. */
function trimEnd(candidate: string): string {
  let s = candidate;
  for (;;) {
    const before = s;
    s = s.replace(TRAILING, "");
    const last = s.at(-1) ?? "";
    const opener = CLOSERS[last];
    if (opener && s.split(opener).length - 1 < s.split(last).length - 1) s = s.slice(0, -1);
    if (s === before) return s;
  }
}

/** The address as a link target, or undefined when it is not a usable http(s) address with a host. */
function hrefOf(address: string): string | undefined {
  try {
    const url = new URL(address);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * `text` cut into plain pieces and web addresses, in order; joining every piece's `text` gives `text` back.
 * ("Read https://example.org/a.", …) → [{ text: "Read " }, { text: "https://example.org/a", href: "https://example.org/a" },
 * { text: "." }]. Only absolute http(s) addresses become links; never throws.
 */
export function splitLinks(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let at = 0;
  for (const m of text.matchAll(CANDIDATE)) {
    const address = trimEnd(m[0]);
    const href = hrefOf(address);
    if (!href || address.length <= "https://".length) continue;
    if (m.index > at) pieces.push({ text: text.slice(at, m.index) });
    pieces.push({ text: address, href });
    at = m.index + address.length;
  }
  if (at < text.length || pieces.length === 0) pieces.push({ text: text.slice(at) });
  return pieces;
}

/**
 * A story's paragraphs: the blocks between blank lines (lines holding only spaces count as blank), without empty
 * ones; single line breaks stay inside their paragraph. `"a\n\nb\nc"` → `["a", "b\nc"]`.
 */
export function storyParagraphs(story: string): string[] {
  return story.split(/\n[^\S\n]*\n\s*/).filter((p) => p.trim() !== "");
}
