/**
 * The API through a client generated from /api/openapi.json (openapi-fetch over the types that
 * openapi-typescript makes of it, tests/support/api-schema.d.ts): what a programmatic user of the
 * published description gets. The typecheck proves the calls match the document; this proves the
 * running app answers what the document says. The committed types must equal what the live
 * document generates now.
 */

import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import { describe, expect, it } from "vitest";
import type { paths } from "../support/api-schema";
import { API_TYPES_FILE, apiTypes } from "../support/api-types";
import { baseUrl, tokenFor } from "../support/http";

describe("a client generated from the OpenAPI document", () => {
  it("matches the live document, creates, publishes and reads a campaign, and gets typed errors", async () => {
    const live = await (await fetch(`${baseUrl()}/api/openapi.json`)).json();
    expect(readFileSync(API_TYPES_FILE, "utf8")).toBe(await apiTypes(live)); // npm run openapi:types refreshes it

    const token = await tokenFor("alice@example.com");
    const api = createClient<paths>({ baseUrl: baseUrl(), headers: { authorization: `Bearer ${token}` } });
    const created = await api.POST("/api/campaigns", {
      body: { title: "Through the generated client", story: "Typed end to end.", goalAmount: 50_000, currency: "EUR" },
    });
    expect(created.response.status).toBe(201);
    const id = created.data?.id as string;
    const published = await api.PATCH("/api/campaigns/{id}", { params: { path: { id } }, body: { status: "active" } });
    expect(published.data?.status).toBe("active");
    const read = await api.GET("/api/campaigns/{id}", { params: { path: { id } } });
    expect(read.data).toMatchObject({ id, title: "Through the generated client", goalAmount: 50_000, currency: "EUR" });

    const missing = await api.GET("/api/campaigns/{id}", { params: { path: { id: "01900000-0000-7000-8000-000000000000" } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe("CAMPAIGN_NOT_FOUND");
  });
});
