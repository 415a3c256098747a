import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { authOptions } from "./options";

const secret = "s".repeat(40);
const ids = (env: Record<string, string>) =>
  authOptions(parseConfig(env)).providers.map((p) => (p as { options?: { id?: string } }).options?.id ?? p.id);

describe("sign-in providers", () => {
  it("offer password sign-in in development and the embedded default", () => {
    expect(ids({ NODE_ENV: "development" })).toEqual(["password"]);
    expect(ids({ NODE_ENV: "production", NEXTAUTH_SECRET: secret, CF_EMBEDDED: "true" })).toEqual(["password"]);
  });

  it("refuse password sign-in in production unless explicitly enabled", () => {
    expect(ids({ NODE_ENV: "production", NEXTAUTH_SECRET: secret })).toEqual([]);
    expect(ids({ NODE_ENV: "production", NEXTAUTH_SECRET: secret, PASSWORD_LOGIN: "true" })).toEqual(["password"]);
  });

  it("add GitHub when it is configured", () => {
    expect(ids({ NODE_ENV: "production", NEXTAUTH_SECRET: secret, GITHUB_ID: "id", GITHUB_SECRET: "s" })).toEqual(["github"]);
  });

  it("use the configured secret and JWT sessions", () => {
    const o = authOptions(parseConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: secret }));
    expect(o.secret).toBe(secret);
    expect(o.session?.strategy).toBe("jwt");
  });
});
