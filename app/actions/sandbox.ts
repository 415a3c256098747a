"use server";

import { notFound, redirect } from "next/navigation";
import { formText } from "@/lib/actions";
import { db, services } from "@/lib/app";
import { completeSandboxAuthentication } from "@/lib/payments/sandbox";

/**
 * The payer's answer on the sandbox's 3-D Secure page (fields: paymentIntent, clientSecret, outcome = complete |
 * fail), then back to the payment's return URL, as the card issuer's page does. Only while the sandbox is the
 * payment provider; an unknown payment or a wrong secret is a 404.
 */
export async function sandboxAuthenticateAction(form: FormData): Promise<void> {
  if (services().payments.provider.name !== "sandbox") notFound();
  const outcome = formText(form, "outcome") === "fail" ? "fail" : "complete";
  let back: string;
  try {
    const r = await completeSandboxAuthentication(db(), {
      paymentId: formText(form, "paymentIntent"),
      clientSecret: formText(form, "clientSecret"),
      outcome,
    });
    back = r.returnUrl;
  } catch {
    notFound();
  }
  redirect(back);
}
