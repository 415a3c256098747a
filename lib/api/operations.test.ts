/**
 * The declarations are the handlers': every declared operation is served by exactly one handler built
 * from it (`operation(API.<id>, …)`) in the route file of its path, and no JSON handler escapes them
 * (but the few endpoints that are not part of the published API, listed below with why).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { API } from "./operations";

const root = path.resolve(import.meta.dirname, "../..");
const apiDir = path.join(root, "app", "api");

/** Route handlers outside the published API. */
const UNPUBLISHED: Record<string, string> = {
  "/api/{...path}": "the JSON 404 of unknown /api paths",
  "/api/auth/{...nextauth}": "next-auth's own endpoints",
  "/api/metrics": "Prometheus text for the operator's scraper (Bearer METRICS_TOKEN or an admin's token)",
  "/api/openapi.json": "the document itself",
  "/api/uploadthing": "UploadThing's client protocol",
};

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === "route.ts" ? [path.join(dir, e.name)] : [],
  );
}

/** app/api/campaigns/[id]/route.ts → /api/campaigns/{id} */
function apiPath(file: string): string {
  const rel = path.relative(path.join(root, "app"), path.dirname(file)).split(path.sep);
  return `/${rel.map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/")}`;
}

const handlers = routeFiles(apiDir).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/export const (GET|POST|PUT|PATCH|DELETE) = (\w+)\((API\.(\w+))?/g)].map((m) => ({
    path: apiPath(file),
    method: (m[1] as string).toLowerCase(),
    builder: m[2] as string,
    operationId: m[4],
  }));
});

describe("operation declarations (lib/api/operations.ts)", () => {
  it("has one handler per declared operation, at its path and method", () => {
    for (const [id, op] of Object.entries(API)) {
      const served = handlers.filter((h) => h.operationId === id);
      expect(served, id).toEqual([{ path: op.path, method: op.method, builder: "operation", operationId: id }]);
    }
  });

  it("builds every handler of the published API from a declaration", () => {
    const undeclared = handlers.filter((h) => h.builder !== "operation" && !(h.path in UNPUBLISHED));
    expect(undeclared).toEqual([]);
    expect(handlers.filter((h) => h.builder === "operation").length).toBe(Object.keys(API).length);
  });
});
