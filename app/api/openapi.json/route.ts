import { json, route } from "@/lib/http";
import { openApiDocument } from "@/lib/openapi";

export const GET = route(async () => json(openApiDocument(), { headers: { "cache-control": "public, max-age=300" } }));
