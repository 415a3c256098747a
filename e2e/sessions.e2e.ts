import { randomUUID } from "node:crypto";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import bcrypt from "bcryptjs";
import postgres from "postgres";

/**
 * A user of this test alone (password "password"), made in the app's database: "Sign out everywhere" ends every
 * session of its user, and the seeded users' saved sessions are shared by the other tests.
 */
async function freshUser(): Promise<string> {
  const sql = postgres(process.env.E2E_DATABASE_URL as string, { max: 1, onnotice: () => {} });
  try {
    const id = randomUUID();
    const email = `devices-${id.slice(0, 8)}@example.com`;
    await sql`insert into users (id, email, name, password_hash)
              values (${id}, ${email}, 'Dana Devices', ${await bcrypt.hash("password", 4)})`;
    return email;
  } finally {
    await sql.end();
  }
}

async function signInOn(context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto("/signin?callbackUrl=/dashboard");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/dashboard");
  return page;
}

test("signed in on a laptop and a phone, 'Sign out everywhere' on the laptop signs both out; signing in again works", async ({
  browser,
}) => {
  const email = await freshUser();
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const onLaptop = await signInOn(laptop, email);
  const onPhone = await signInOn(phone, email);

  const nav = onLaptop.getByRole("navigation", { name: "Main" });
  await nav.locator("summary").click();
  await nav.getByRole("link", { name: "Sessions" }).click();
  await onLaptop.waitForURL((url) => url.pathname === "/settings/sessions");
  await expect(onLaptop.getByRole("heading", { name: "Sessions" })).toBeVisible();
  await onLaptop.getByRole("button", { name: "Sign out everywhere" }).click();
  await onLaptop.waitForURL((url) => url.pathname === "/signin");
  await expect(onLaptop.getByRole("status")).toContainText("signed out on every device");
  expect((await laptop.cookies()).some((c) => c.name.includes("session-token"))).toBe(false); // this browser's cookie cleared

  // the phone still holds its cookie, and it no longer opens anything
  await onPhone.goto("/dashboard");
  await onPhone.waitForURL((url) => url.pathname === "/signin");
  expect((await onPhone.request.get("/api/me/tokens")).status()).toBe(401);

  const back = await signInOn(phone, email);
  await expect(back.getByRole("heading", { name: /My campaigns/i })).toBeVisible();
  await laptop.close();
  await phone.close();
});
