import { createRouteHandler } from "uploadthing/next";
import { uploadRouter } from "@/lib/assets/uploadthing-router";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { route } from "@/lib/http";

/** UploadThing's route: presigned URLs for the browser, and UploadThing's signed upload callbacks. */
function handlers() {
  const c = config();
  if (c.ASSET_STORAGE !== "uploadthing" || !c.UPLOADTHING_TOKEN) return undefined;
  return createRouteHandler({
    router: uploadRouter,
    config: {
      token: c.UPLOADTHING_TOKEN,
      logLevel: "Error",
      isDev: false,
      // only set by tests against a local server speaking UploadThing's protocol
      ...(c.UPLOADTHING_INGEST_URL ? { ingestUrl: c.UPLOADTHING_INGEST_URL } : {}),
      ...(c.UPLOADTHING_API_URL ? { apiUrl: c.UPLOADTHING_API_URL } : {}),
    } as Parameters<typeof createRouteHandler>[0]["config"],
  });
}

let h: ReturnType<typeof handlers> | null = null;
const notConfigured = route(async () => {
  throw new AppError(
    "NOT_FOUND",
    "Uploads go through /api/campaigns/{id}/assets on this server (ASSET_STORAGE is not uploadthing)",
  );
});

export async function GET(req: Request) {
  if (h === null) h = handlers();
  return h ? h.GET(req as never) : notConfigured(req, { params: Promise.resolve({}) });
}

export async function POST(req: Request) {
  if (h === null) h = handlers();
  return h ? h.POST(req as never) : notConfigured(req, { params: Promise.resolve({}) });
}
