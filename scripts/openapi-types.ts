/**
 * `npm run openapi:types`: write tests/support/api-schema.d.ts, the TypeScript types openapi-typescript
 * generates from our OpenAPI document (what any client generator sees at /api/openapi.json).
 * tests/integration/api-client.test.ts fails when the committed file differs from the live document's.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { openApiDocument } from "@/lib/openapi";
import { API_TYPES_FILE, apiTypes } from "@/tests/support/api-types";

writeFileSync(API_TYPES_FILE, await apiTypes(openApiDocument()));
console.log(`wrote ${path.relative(process.cwd(), API_TYPES_FILE)}`);
