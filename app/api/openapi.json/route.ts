import { json, methodNotAllowed, route } from "@/lib/http";
import { openApiDocument } from "@/lib/openapi";

export const GET = route(async () => json(openApiDocument(), { headers: { "cache-control": "public, max-age=300" } }));
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
