import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createTokenSchema } from "@/lib/auth/schemas";
import { closeForAbuseSchema, createCampaignSchema, updateCampaignSchema } from "@/lib/campaigns/schemas";
import { contributeSchema, createRefundSchema } from "@/lib/payments/schemas";
import { hasVisibleCharacter, normalizeText, textProblem } from ".";

const campaign = { title: "Fix the village well", story: "The well is dry.", goalAmount: 500_000, currency: "USD" };

/** Every free-text field of every input schema, with a valid body around it. */
const FIELDS: { name: string; schema: z.ZodType; body: (v: string) => unknown; multiline: boolean }[] = [
  { name: "createCampaign.title", schema: createCampaignSchema, body: (title) => ({ ...campaign, title }), multiline: false },
  { name: "createCampaign.story", schema: createCampaignSchema, body: (story) => ({ ...campaign, story }), multiline: true },
  { name: "updateCampaign.title", schema: updateCampaignSchema, body: (title) => ({ title }), multiline: false },
  { name: "updateCampaign.story", schema: updateCampaignSchema, body: (story) => ({ story }), multiline: true },
  { name: "closeForAbuse.reason", schema: closeForAbuseSchema, body: (reason) => ({ reason }), multiline: true },
  {
    name: "contribute.message",
    schema: contributeSchema,
    body: (message) => ({ amount: 500, currency: "USD", message }),
    multiline: true,
  },
  { name: "createRefund.reason", schema: createRefundSchema, body: (reason) => ({ reason }), multiline: true },
  { name: "createToken.name", schema: createTokenSchema, body: (name) => ({ name }), multiline: false },
];

const field = (name: string) => name.split(".")[1] as string;

describe("text hygiene of every free-text field", () => {
  const refused: [string, string][] = [
    ["NUL", "Well\u0000 water"],
    ["a C0 control (BEL)", "Well\u0007 water"],
    ["escape (ANSI colours)", "Well \u001b[31mwater"],
    ["DEL", "Well\u007f water"],
    ["a C1 control (NEL)", "Well\u0085 water"],
    ["a right-to-left override", "Well \u202Eretaw"],
    ["a left-to-right embedding", "Well \u202Awater"],
    ["a first-strong isolate", "Well \u2068water\u2069"],
    ["a lone high surrogate", "Well \ud800 water"],
    ["a lone low surrogate", "Well \udc00 water"],
    ["only zero-width and format characters", "\u200b\u200c\u200d\u2060\ufeff"],
    ["only spaces of every kind", "\u00a0\u2003\u3000\u202f   "],
    ["only Hangul fillers and blank Braille", "\u3164\u2800\u3164"],
    ["only combining marks", "\u0301\u0302\u0303"],
  ];
  for (const f of FIELDS) {
    const optional = ["contribute.message", "createRefund.reason"].includes(f.name);
    for (const [what, value] of refused) {
      if (optional && what === "only spaces of every kind") {
        it(`${f.name} (optional) takes only spaces as no text`, () => {
          const r = f.schema.safeParse(f.body(value));
          expect((r.data as Record<string, string>)[field(f.name)]).toBe("");
        });
        continue;
      }
      it(`${f.name} refuses ${what}, naming the field`, () => {
        const r = f.schema.safeParse(f.body(value));
        expect(r.success).toBe(false);
        expect(r.error?.issues.map((i) => i.path.join("."))).toContain(field(f.name));
      });
    }
    it(`${f.name} stores NFC without surrounding white space`, () => {
      const r = f.schema.safeParse(f.body("  Cafe\u0301 de\u0301ja\u0300 vu  "));
      expect(r.success).toBe(true);
      expect((r.data as Record<string, string>)[field(f.name)]).toBe("Caf\u00e9 d\u00e9j\u00e0 vu");
    });
    it(`${f.name} keeps right-to-left text, emoji and marks of direction`, () => {
      const text = "\u05e9\u05dc\u05d5\u05dd \u200f\u05e2\u05d5\u05dc\u05dd \ud83d\udc4b\ud83c\udffd";
      const r = f.schema.safeParse(f.body(text));
      expect(r.success).toBe(true);
      expect((r.data as Record<string, string>)[field(f.name)]).toBe(text);
    });
    it(`${f.name} ${f.multiline ? "keeps line feeds and tabs, CRLF as LF" : "refuses line breaks and tabs"}`, () => {
      const r = f.schema.safeParse(f.body("First line\r\n\tsecond line"));
      expect(r.success).toBe(f.multiline);
      if (f.multiline) expect((r.data as Record<string, string>)[field(f.name)]).toBe("First line\n\tsecond line");
    });
  }
});

describe("lib/text", () => {
  it("names the offending code point", () => {
    expect(textProblem("a\u0000b")).toMatch(/U\+0000/);
    expect(textProblem("a\u202eb")).toMatch(/U\+202E/);
    expect(textProblem("a\u0085b", { multiline: true })).toMatch(/U\+0085/);
    expect(textProblem("a\nb", { multiline: true })).toBeUndefined();
    expect(textProblem("a\nb")).toMatch(/U\+000A/);
  });
  it("normalizes to NFC and trims", () => {
    expect(normalizeText(" A\u030a ")).toBe("\u00c5");
    expect(normalizeText("a\r\nb\rc", { multiline: true })).toBe("a\nb\nc");
  });
  it("sees a visible character in any script, but not in blanks", () => {
    for (const s of ["a", "\u00e9", "\u4e2d", "\u0634", "\ud83d\ude00", "1", "-"]) expect(hasVisibleCharacter(s)).toBe(true);
    for (const s of ["", " ", "\u200b", "\u200e", "\ufeff", "\u3164", "\u2800", "\u0301", "\u00ad"])
      expect(hasVisibleCharacter(s)).toBe(false);
  });
});
