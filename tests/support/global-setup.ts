import type { TestProject } from "vitest/node";
import { provisionDatabase, startApp } from "./env";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
  }
}

/** vitest globalSetup of the integration project: one database and one app server per run. */
export default async function setup(project: TestProject) {
  const database = await provisionDatabase("it");
  const app = await startApp(database.url, { RATE_LIMIT_MAX: "300", RATE_LIMIT_PREFIX: `cf:rl:test:${Date.now()}` });
  project.provide("baseUrl", app.baseUrl);
  project.provide("databaseUrl", database.url);
  return async () => {
    await app.stop();
    await database.drop();
  };
}
