import { describe, expect, it } from "vitest";
import { crossSiteRequest, forgedCookieWrite } from "./origin";

const s = { TRUST_PROXY: false };
const req = (method: string, h: Record<string, string>) => ({ method, headers: new Headers({ host: "app.example:3000", ...h }) });

describe("crossSiteRequest", () => {
  it("takes our own Origin (Host, or NEXTAUTH_URL's host, or the trusted proxy's X-Forwarded-Host) as ours", () => {
    expect(crossSiteRequest(new Headers({ host: "app.example:3000", origin: "http://app.example:3000" }), s)).toBe(false);
    expect(
      crossSiteRequest(new Headers({ host: "10.0.0.5:3000", origin: "https://pay.example" }), {
        ...s,
        NEXTAUTH_URL: "https://pay.example",
      }),
    ).toBe(false);
    const proxied = new Headers({
      host: "10.0.0.5:3000",
      origin: "https://pay.example",
      "x-forwarded-host": "evil.example, pay.example",
    });
    expect(crossSiteRequest(proxied, { TRUST_PROXY: true })).toBe(false);
    expect(crossSiteRequest(proxied, s)).toBe(true); // X-Forwarded-Host untrusted without TRUST_PROXY
  });

  it("refuses another host, another port, an opaque or malformed Origin", () => {
    for (const origin of ["https://evil.example", "http://app.example:3001", "http://app.example", "null", "not a url"]) {
      expect(crossSiteRequest(new Headers({ host: "app.example:3000", origin }), s), origin).toBe(true);
    }
  });

  it("without Origin, goes by Sec-Fetch-Site; with neither, is no browser's cross-site request", () => {
    const h = (site?: string) => new Headers({ host: "app.example:3000", ...(site ? { "sec-fetch-site": site } : {}) });
    expect(crossSiteRequest(h("cross-site"), s)).toBe(true);
    expect(crossSiteRequest(h("same-site"), s)).toBe(true);
    expect(crossSiteRequest(h("same-origin"), s)).toBe(false);
    expect(crossSiteRequest(h("none"), s)).toBe(false);
    expect(crossSiteRequest(h(), s)).toBe(false);
  });
});

describe("forgedCookieWrite", () => {
  it("is a cross-site write without a bearer token; reads and bearer-token writes pass", () => {
    const evil = { origin: "https://evil.example" };
    for (const m of ["POST", "PUT", "PATCH", "DELETE"]) expect(forgedCookieWrite(req(m, evil), s), m).toBe(true);
    for (const m of ["GET", "HEAD", "OPTIONS"]) expect(forgedCookieWrite(req(m, evil), s), m).toBe(false);
    expect(forgedCookieWrite(req("POST", { ...evil, authorization: "Bearer cf_x" }), s)).toBe(false);
    expect(forgedCookieWrite(req("POST", { origin: "http://app.example:3000" }), s)).toBe(false);
  });
});
