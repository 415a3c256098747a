import { expect, test as setup } from "@playwright/test";

/** Sign in once per user through the real sign-in page and keep the session (storageState). */
for (const [name, email] of [
  ["alice", "alice@example.com"],
  ["bob", "bob@example.com"],
  ["carol", "carol@example.com"], // the seeded admin
] as const) {
  setup(`sign in as ${name}`, async ({ page }) => {
    await page.goto("/signin?callbackUrl=/dashboard");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/dashboard");
    await expect(page.getByRole("heading", { name: /My campaigns/i })).toBeVisible();
    await page.context().storageState({ path: `test-results/.auth/${name}.json` });
  });
}
