import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shareLinks } from "./share";

const url = "https://crowdfund.example.org/campaigns/01a22d25-0ee7-7196-a016-1a953d2620c1";

describe("shareLinks", () => {
  it("fills each service's share address with the campaign's URL and title", () => {
    const links = Object.fromEntries(shareLinks(url, "Roof for the school").map((l) => [l.service, new URL(l.href)]));
    expect(links.email?.protocol).toBe("mailto:");
    expect(decodeURIComponent(links.email?.href.split("body=")[1] ?? "")).toBe(`Please support "Roof for the school": ${url}`);
    expect(links.whatsapp?.origin).toBe("https://wa.me");
    expect(links.whatsapp?.searchParams.get("text")).toBe(`Please support "Roof for the school": ${url}`);
    expect(links.x?.searchParams.get("url")).toBe(url);
    expect(links.x?.searchParams.get("text")).toBe('Please support "Roof for the school"');
    expect(links.facebook?.searchParams.get("u")).toBe(url);
  });

  it("keeps any title whole and inside its parameter (no injected parameters or schemes)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (title) => {
        for (const l of shareLinks(url, title)) {
          const u = new URL(l.href);
          if (l.service === "email") {
            expect(u.href.startsWith("mailto:?subject=")).toBe(true);
            expect(decodeURIComponent(u.href.slice("mailto:?subject=".length).split("&body=")[0] ?? "")).toBe(title);
          } else {
            expect(u.protocol).toBe("https:");
            expect([...u.searchParams.keys()].length).toBe(l.service === "x" ? 2 : 1);
          }
        }
      }),
    );
  });
});
