/**
 * The published API description works with the tools people use on it: Redocly's recommended lint
 * ruleset (the engine of `redocly lint`) finds no problem, and openapi-typescript generates a typed
 * client from it. Every operation has a unique operationId (a generated client's method names).
 */
import { createConfig, lintFromString } from "@redocly/openapi-core";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "./index";

const METHODS = ["get", "post", "put", "patch", "delete"];

describe("/api/openapi.json", () => {
  const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, { operationId?: string }>> };

  it("gives every operation a unique operationId", () => {
    const ids = Object.entries(doc.paths).flatMap(([, item]) =>
      Object.entries(item)
        .filter(([m]) => METHODS.includes(m))
        .map(([, op]) => op.operationId),
    );
    expect(ids.length).toBeGreaterThan(20);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("passes Redocly's recommended lint rules with no error and no warning", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/api/openapi.json", config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it("generates a typed client with openapi-typescript, every $ref resolved", async () => {
    const ts = astToString(await openapiTS(JSON.parse(JSON.stringify(doc))));
    expect(ts).toContain("getCampaign: {");
    expect(ts).toContain("createContribution: {");
    expect(ts).toMatch(/PublicContribution: \{/);
  });
});
