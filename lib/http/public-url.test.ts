import { describe, expect, it } from "vitest";
import { publicUrl } from "./public-url";

const h = (o: Record<string, string>) => new Headers(o);
const plain = { TRUST_PROXY: false };

describe("publicUrl", () => {
  it("prefers NEXTAUTH_URL", () => {
    expect(
      publicUrl("/settings/payouts", h({ host: "0.0.0.0:3000" }), { ...plain, NEXTAUTH_URL: "https://give.example.org" }),
    ).toBe("https://give.example.org/settings/payouts");
  });
  it("never answers a bind-all address", () => {
    expect(publicUrl("/x", h({ host: "0.0.0.0:3000" }), plain)).toBe("http://localhost:3000/x");
    expect(publicUrl("/x", h({ host: "[::]:3000" }), plain)).toBe("http://localhost:3000/x");
    expect(publicUrl("/x", h({}), plain)).toBe("http://localhost/x");
  });
  it("uses the request's Host, and the proxy's forwarded host only when trusted", () => {
    expect(publicUrl("/x", h({ host: "127.0.0.1:3000" }), plain)).toBe("http://127.0.0.1:3000/x");
    const fwd = h({ host: "10.0.0.5:3000", "x-forwarded-host": "evil.example, give.example.org", "x-forwarded-proto": "https" });
    expect(publicUrl("/x", fwd, plain)).toBe("http://10.0.0.5:3000/x");
    expect(publicUrl("/x", fwd, { TRUST_PROXY: true })).toBe("https://give.example.org/x");
  });
  it("refuses a Host that is not a host", () => {
    expect(publicUrl("/x", h({ host: "evil.example/path@x" }), plain)).toBe("http://localhost/x");
    expect(publicUrl("/x", h({ host: "a b" }), plain)).toBe("http://localhost/x");
  });
});
