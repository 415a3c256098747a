import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { authSecret } from "@/lib/auth/options";
import { config } from "@/lib/config";
import { json, methodNotAllowed, operation, readText } from "@/lib/http";
import { applyUnsubscribe, verifyUnsubscribeToken } from "@/lib/mail/unsubscribe";

/**
 * The one-click unsubscribe address of the `List-Unsubscribe` header (RFC 8058; docs/mail.md): a POST with a
 * valid `token` stops what it names and answers `{ unsubscribed: { kind, campaignId? } }`; the confirm page's
 * own form (field `from=page`) is sent back to that page (303) instead. The token authenticates the request, not
 * a session, so the proxy lets other sites' POSTs through (a mail provider's, a webmail's). A missing or
 * tampered token: 400 UNSUBSCRIBE_TOKEN_INVALID, nothing changed.
 */
export const POST = operation(API.unsubscribeOneClick, async (req) => {
  const url = new URL(req.url);
  const body = new URLSearchParams(await readText(req, 4096));
  const scope = verifyUnsubscribeToken(authSecret(config()), url.searchParams.get("token") ?? body.get("token"));
  const done = await applyUnsubscribe(db(), scope);
  if (body.get("from") === "page") {
    const back = new URL("/unsubscribe", url);
    back.searchParams.set("done", done.kind);
    if (done.kind === "campaign") back.searchParams.set("campaign", done.campaignId);
    return new Response(null, { status: 303, headers: { location: `${back.pathname}${back.search}` } });
  }
  const unsubscribed = done.kind === "campaign" ? { kind: done.kind, campaignId: done.campaignId } : { kind: done.kind };
  return json({ unsubscribed }, { headers: { "cache-control": "no-store" } });
});

/**
 * The header's address opened with a GET, which must change nothing: a browser (Accept: text/html) goes on to
 * the confirm page with the same token (303); any other client gets what the token names,
 * `{ unsubscribe: { kind, campaignId?, confirmUrl } }`. A bad token: 400 UNSUBSCRIBE_TOKEN_INVALID.
 */
export const GET = operation(API.openUnsubscribeLink, async (req) => {
  const token = new URL(req.url).searchParams.get("token");
  const scope = verifyUnsubscribeToken(authSecret(config()), token);
  const confirmUrl = `/unsubscribe?token=${encodeURIComponent(token ?? "")}`;
  const headers = { "cache-control": "no-store" };
  if (req.headers.get("accept")?.includes("text/html")) {
    return new Response(null, { status: 303, headers: { ...headers, location: confirmUrl } });
  }
  const about = scope.kind === "campaign" ? { kind: scope.kind, campaignId: scope.campaignId } : { kind: scope.kind };
  return json({ unsubscribe: { ...about, confirmUrl } }, { headers });
});

export const { PUT, PATCH, DELETE } = methodNotAllowed(["GET", "POST"]);
