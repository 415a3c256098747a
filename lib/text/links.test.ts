import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitLinks, storyParagraphs } from "./links";

const links = (text: string) => splitLinks(text).flatMap((p) => ("href" in p ? [p.href] : []));

describe("splitLinks", () => {
  it("finds http(s) addresses in a story, without the punctuation around them", () => {
    expect(splitLinks("Read https://example.org/a. Thanks")).toEqual([
      { text: "Read " },
      { text: "https://example.org/a", href: "https://example.org/a" },
      { text: ". Thanks" },
    ]);
    expect(links("(see http://example.org/x)")).toEqual(["http://example.org/x"]);
    expect(links("https://en.wikipedia.org/wiki/Foo_(bar), more")).toEqual(["https://en.wikipedia.org/wiki/Foo_(bar)"]);
    expect(links("two: https://a.example/1\nhttps://b.example/2?x=1&y=2#top!")).toEqual([
      "https://a.example/1",
      "https://b.example/2?x=1&y=2#top",
    ]);
    expect(links("HTTPS://Example.ORG/Path")).toEqual(["https://example.org/Path"]);
  });

  it("makes nothing else a link: other schemes, bare domains, markup", () => {
    for (const text of [
      "javascript:alert(1)",
      "click javascript:alert(document.cookie)//https://x",
      "<script>alert(1)</script>",
      '<a href="javascript:alert(1)">x</a>',
      "data:text/html,<script>alert(1)</script>",
      "ftp://example.org/file",
      "example.org and www.example.org",
      "mailto:someone@example.org",
      "https://",
      "http:// spaced",
      "xhttps://example.org",
    ]) {
      expect.soft(links(text), text).toEqual([]);
    }
  });

  it("stops an address at markup, so an injected tag stays text", () => {
    const pieces = splitLinks('https://example.org/<script>alert(1)</script>"onmouseover=x');
    expect(pieces[0]).toEqual({ text: "https://example.org/", href: "https://example.org/" });
    expect(pieces.slice(1).every((p) => !("href" in p))).toBe(true);
  });

  it("gives the text back whole, and only http(s) targets, for any text", () => {
    const parts = fc.constantFrom(
      "https://example.org/a",
      "http://x.example",
      " ",
      ".",
      ")",
      "(",
      "<script>",
      "javascript:",
      "a",
      "\n",
      '"',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(parts).map((p) => p.join("")),
        ),
        (text) => {
          const pieces = splitLinks(text);
          expect(pieces.map((p) => p.text).join("")).toBe(text);
          for (const p of pieces) if ("href" in p) expect(p.href).toMatch(/^https?:\/\/[^\s<>"]+$/);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("storyParagraphs", () => {
  it("splits on blank lines and keeps single line breaks", () => {
    expect(storyParagraphs("a\n\nb\nc")).toEqual(["a", "b\nc"]);
    expect(storyParagraphs("one line")).toEqual(["one line"]);
    expect(storyParagraphs("a\n  \n\n\nb\n")).toEqual(["a", "b\n"]);
    expect(storyParagraphs("\n\n")).toEqual([]);
  });
});
