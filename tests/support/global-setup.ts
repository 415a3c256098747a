import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { provisionDatabase, startApp } from "./env";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    /** The app's disk asset store and its temporary directory: tests check nothing is left behind. */
    assetDir: string;
    appTmpDir: string;
  }
}

/** Small limits so the oversize tests send a little over 1 MB, not 10 (the defaults are unit-tested). */
export const TEST_ASSET_LIMITS = { ASSET_MAX_IMAGE_BYTES: String(1024 * 1024), ASSET_MAX_VIDEO_BYTES: String(2 * 1024 * 1024) };

/** vitest globalSetup of the integration project: one database and one app server per run. */
export default async function setup(project: TestProject) {
  const database = await provisionDatabase("it");
  const scratch = await mkdtemp(path.join(tmpdir(), "cf-it-"));
  const assetDir = path.join(scratch, "assets");
  const appTmpDir = path.join(scratch, "tmp");
  await mkdir(appTmpDir, { recursive: true });
  const app = await startApp(database.url, {
    RATE_LIMIT_MAX: "300",
    RATE_LIMIT_PREFIX: `cf:rl:test:${Date.now()}`,
    ASSET_DIR: assetDir,
    TMPDIR: appTmpDir,
    ...TEST_ASSET_LIMITS,
  });
  project.provide("baseUrl", app.baseUrl);
  project.provide("databaseUrl", database.url);
  project.provide("assetDir", assetDir);
  project.provide("appTmpDir", appTmpDir);
  return async () => {
    await app.stop();
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  };
}
