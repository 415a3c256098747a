import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireUser } from "@/lib/auth/session";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { listDisputes } from "@/lib/payments/disputes";

export const GET = operation(API.listDisputes, async (req) => {
  const user = await requireUser(req);
  const open = new URL(req.url).searchParams.get("open");
  return json(
    { items: await listDisputes(db(), user, { open: open === "true" || open === "1" }) },
    {
      headers: { "cache-control": "private, no-store" },
    },
  );
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
