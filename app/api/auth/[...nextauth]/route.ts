import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http";

// Options are built per request so that nothing reads configuration at build time.
type Ctx = { params: Promise<{ nextauth: string[] }> };
const handler = (req: Request, ctx: Ctx) => NextAuth(req as never, ctx as never, authOptions());

/**
 * next-auth parses a JSON body with `req.json()` and lets its SyntaxError escape as a 500 (found by the fuzz
 * suite: `POST /api/auth/csrf` with `content-type: application/json` and an empty body). A JSON body that is
 * not an object is refused here first, as every other route refuses it: 400 INVALID_JSON.
 */
export async function POST(req: Request, ctx: Ctx): Promise<Response> {
  if (req.headers.get("content-type")?.includes("application/json")) {
    let body: unknown;
    try {
      body = JSON.parse(await req.clone().text());
    } catch {
      body = undefined;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return errorResponse(new AppError("INVALID_JSON", "The body is not a JSON object"));
    }
  }
  return handler(req, ctx);
}

export { handler as GET };
