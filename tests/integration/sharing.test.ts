import { describe, expect, it } from "vitest";
import { api, baseUrl, signIn, tokenFor, validCampaign } from "../support/http";

/** The `content` of the first <meta> whose property or name is `key` in `html`. */
function meta(html: string, key: string): string | undefined {
  const tag = new RegExp(`<meta (?:property|name)="${key.replace(/[.:]/g, "\\$&")}" content="([^"]*)"`).exec(html);
  return tag?.[1]?.replaceAll("&amp;", "&");
}

describe("sharing a campaign", () => {
  it("gives its page Open Graph and Twitter card tags, a canonical address and share links, signed out and signed in", async () => {
    const alice = await tokenFor("alice@example.com");
    const { id } = (
      await api("/api/campaigns", { token: alice, json: validCampaign({ title: "A roof & a school", goalAmount: 200000 }) })
    ).body;
    const cookie = await signIn("bob@example.com");
    for (const page of [await api(`/campaigns/${id}`), await api(`/campaigns/${id}`, { cookie })]) {
      expect(page.status).toBe(200);
      expect(meta(page.text, "og:title")).toBe("A roof & a school");
      expect(meta(page.text, "og:description")).toMatch(/^\$0\.00 raised of \$2,000\.00\. /);
      expect(meta(page.text, "og:url")).toMatch(new RegExp(`/campaigns/${id}$`));
      expect(meta(page.text, "og:image")).toMatch(new RegExp(`/og/campaigns/${id}$`));
      expect(meta(page.text, "twitter:card")).toBe("summary_large_image");
      expect(page.text).toMatch(new RegExp(`<link rel="canonical" href="[^"]*/campaigns/${id}"`));
      expect(page.text).toContain('data-service="whatsapp"');
      expect(page.text).toContain("https://wa.me/?text=");
      expect(page.text).toContain("https://www.facebook.com/sharer/sharer.php?u=");
    }
  });

  it("draws the shared picture of a published campaign as a PNG, and nothing for a draft or an unknown ID", async () => {
    const alice = await tokenFor("alice@example.com");
    // An emoji would make next/og fetch its picture from a CDN (unreachable offline): it is left out, not fatal.
    const { id } = (await api("/api/campaigns", { token: alice, json: validCampaign({ title: "Garden 🌻 for all" }) })).body;
    const image = await fetch(`${baseUrl()}/og/campaigns/${id}`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(image.headers.get("cache-control")).toBe("public, max-age=60, s-maxage=60");
    const png = Buffer.from(await image.arrayBuffer());
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a"); // the PNG signature
    expect(png.readUInt32BE(16)).toBe(1200); // IHDR width
    expect(png.readUInt32BE(20)).toBe(630); // IHDR height
    const { id: draft } = (await api("/api/campaigns", { token: alice, json: validCampaign({ status: "draft" }) })).body;
    expect((await api(`/og/campaigns/${draft}`)).status).toBe(404);
    expect((await api("/og/campaigns/00000000-0000-7000-8000-000000000000")).status).toBe(404);
    expect((await api("/og/campaigns/not-an-id")).status).toBe(404);
  });
});
