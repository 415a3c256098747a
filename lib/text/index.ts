import { z } from "zod";

/**
 * Text hygiene: the one rule every free-text field people type (campaign titles and stories, contribution
 * messages, refund and abuse reasons, token names) is held to, applied by each field's zod schema
 * (`textField`), so the API, the server actions and the CLI refuse the same characters with the same
 * VALIDATION_FAILED detail naming the field (docs/security.md, "Input hygiene").
 *
 * Why each rule:
 * - NUL: PostgreSQL refuses U+0000 in `text`, so it would reach the database and fail there (a 500).
 * - Other C0/C1 controls and DEL: invisible, they corrupt logs, CSV exports and terminals. Multi-line text
 *   keeps line feeds and tabs; a carriage return is folded into the line feed (browsers send CRLF).
 * - Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder what
 *   is shown after them ("Trojan Source"), so a title could display something else than what it says.
 * - Lone surrogates: not Unicode text; they cannot be encoded as UTF-8 and break JSON consumers.
 * - NFC normalization: the same visible text is stored as the same code points, so limits and comparisons
 *   do not depend on how a keyboard composed an accent.
 * - A visible character: a title made only of spaces, zero-width or format characters is shown as nothing.
 */

/** C0 controls but tab and line feed, DEL, C1 controls: refused in multi-line text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const MULTILINE_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u;
/** Every C0 control, DEL and C1 control: refused in a single line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const LINE_CONTROLS = /[\u0000-\u001F\u007F-\u009F]/u;
/** A high surrogate not followed by a low one, or a low one not after a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/u;
/**
 * A character that shows something: not white space, not a control, a format character (zero-width space,
 * joiners, marks of direction, BOM), a default-ignorable code point, a lone combining mark, or one of the
 * blank-looking letters and symbols (Hangul fillers, the blank Braille pattern).
 */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800\u3164\uFFA0\u115F\u1160]/u;

/** What is wrong with `s` as text of this kind (a field's detail message), or undefined when nothing is. */
export function textProblem(s: string, opts: { multiline?: boolean } = {}): string | undefined {
  if (LONE_SURROGATE.test(s)) return "must be valid Unicode text (it contains a lone surrogate)";
  if (s.includes("\u0000")) return "must not contain a NUL character (U+0000)";
  const controls = opts.multiline ? MULTILINE_CONTROLS : LINE_CONTROLS;
  const c = controls.exec(opts.multiline ? s.replace(/\r\n?/g, "\n") : s);
  if (c) return `must not contain control characters (${codePoint(c[0])})`;
  const b = BIDI_CONTROLS.exec(s);
  if (b) return `must not contain bidirectional control characters (${codePoint(b[0])})`;
  return undefined;
}

/** `s` as stored: line breaks as LF (multi-line), NFC, without leading and trailing white space. */
export function normalizeText(s: string, opts: { multiline?: boolean } = {}): string {
  const lines = opts.multiline ? s.replace(/\r\n?/g, "\n") : s;
  return lines.normalize("NFC").trim();
}

/** Whether `s` shows at least one character (see VISIBLE). */
export function hasVisibleCharacter(s: string): boolean {
  return VISIBLE.test(s);
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * The zod schema of a free-text field: refuses what `textProblem` names, normalizes (`normalizeText`),
 * then checks the length in UTF-16 code units after normalization (`min`, default 0; `max`) and, unless
 * the value is empty, that it shows a visible character. `minMessage`/`maxMessage` override the
 * length messages. Failing values give one issue each, at the field's path (VALIDATION_FAILED, 400).
 */
export function textField(opts: { min?: number; max: number; multiline?: boolean; minMessage?: string; maxMessage?: string }) {
  const min = opts.min ?? 0;
  let s = z
    .string()
    .refine((v) => textProblem(v, opts) === undefined, {
      error: (iss) => textProblem(iss.input as string, opts) ?? "is not valid text",
      abort: true,
    })
    .overwrite((v) => normalizeText(v, opts));
  if (min > 0) s = s.min(min, opts.minMessage ?? (min === 1 ? "is required" : `must be at least ${min} characters`));
  return s
    .max(opts.max, opts.maxMessage ?? `must be at most ${opts.max.toLocaleString("en-US")} characters`)
    .refine((v) => v === "" || hasVisibleCharacter(v), { error: "must contain a visible character" });
}
