import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./index";

describe("parseConfig", () => {
  it("applies defaults with nothing configured", () => {
    const c = parseConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATA_DIR).toBe(".data");
    expect(c.passwordLogin).toBe(true);
  });

  it("names the variable of a bad value", () => {
    expect(() => parseConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => parseConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => parseConfig({ DATABASE_APP_URL: "crowdfund_app@db" })).toThrow(/DATABASE_APP_URL/);
    expect(() => parseConfig({ REDIS_URL: "localhost:6379" })).toThrow(/REDIS_URL/);
    expect(() => parseConfig({ GITHUB_ID: "abc" })).toThrow(/GITHUB_SECRET/);
    expect(() => parseConfig({ PASSWORD_LOGIN: "maybe" })).toThrow(ConfigError);
  });

  it("checks the asset storage's settings", () => {
    expect(parseConfig({}).ASSET_STORAGE).toBe("disk");
    expect(parseConfig({}).ASSET_MAX_IMAGE_BYTES).toBe(10 * 1024 * 1024);
    expect(() => parseConfig({ ASSET_STORAGE: "ftp" })).toThrow(/ASSET_STORAGE/);
    expect(() => parseConfig({ ASSET_STORAGE: "s3" })).toThrow(/S3_BUCKET/);
    expect(() => parseConfig({ ASSET_STORAGE: "s3", S3_BUCKET: "bkt", S3_ACCESS_KEY_ID: "a" })).toThrow(/S3_SECRET_ACCESS_KEY/);
    expect(() => parseConfig({ ASSET_STORAGE: "uploadthing" })).toThrow(/UPLOADTHING_TOKEN/);
    expect(() => parseConfig({ ASSET_MAX_VIDEO_BYTES: "lots" })).toThrow(/ASSET_MAX_VIDEO_BYTES/);
  });

  it("reads DATABASE_REPLICA_URLS as a list of postgres URLs that needs DATABASE_URL, and their lag limit", () => {
    const primary = "postgres://owner@db-1/app";
    expect(parseConfig({ DATABASE_URL: primary }).DATABASE_REPLICA_URLS).toBeUndefined();
    expect(parseConfig({}).DATABASE_REPLICA_MAX_LAG_MS).toBe(3000);
    expect(() => parseConfig({ DATABASE_REPLICA_MAX_LAG_MS: "10" })).toThrow(/DATABASE_REPLICA_MAX_LAG_MS/);
    expect(
      parseConfig({
        DATABASE_URL: primary,
        DATABASE_REPLICA_URLS: " postgres://owner@db-2/app , postgresql://owner@db-3:5433/app,",
      }).DATABASE_REPLICA_URLS,
    ).toEqual(["postgres://owner@db-2/app", "postgresql://owner@db-3:5433/app"]);
    expect(() => parseConfig({ DATABASE_URL: primary, DATABASE_REPLICA_URLS: "postgres://owner@db-2/app,db-3:5432" })).toThrow(
      /DATABASE_REPLICA_URLS\.1: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expect(() => parseConfig({ DATABASE_URL: primary, DATABASE_REPLICA_URLS: "postgres://[bad/app" })).toThrow(
      /DATABASE_REPLICA_URLS\.0: is not a valid URL/,
    );
    expect(() => parseConfig({ DATABASE_URL: primary, DATABASE_REPLICA_URLS: " , " })).toThrow(
      /DATABASE_REPLICA_URLS: must list/,
    );
    expect(() => parseConfig({ DATABASE_REPLICA_URLS: "postgres://owner@db-2/app" })).toThrow(
      /DATABASE_REPLICA_URLS: needs DATABASE_URL/,
    );
  });

  it("requires NEXTAUTH_SECRET in production", () => {
    expect(() => parseConfig({ NODE_ENV: "production" })).toThrow(/NEXTAUTH_SECRET/);
  });

  it("refuses password sign-in in production unless enabled or embedded", () => {
    const secret = "s".repeat(32);
    expect(parseConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: secret }).passwordLogin).toBe(false);
    expect(parseConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: secret, PASSWORD_LOGIN: "true" }).passwordLogin).toBe(true);
    expect(parseConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: secret, CF_EMBEDDED: "true" }).passwordLogin).toBe(true);
    expect(parseConfig({ NODE_ENV: "development" }).passwordLogin).toBe(true);
  });

  it("treats empty strings as unset", () => {
    expect(parseConfig({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});
