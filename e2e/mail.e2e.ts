import { expect, test } from "@playwright/test";
import { createCampaign } from "./helpers";

/**
 * Mail in the embedded default (no SMTP_URL): what would have been sent is kept and shown to admins at
 * /admin/mail (docs/mail.md). A contribution made in the browser puts its receipt there; the creator's
 * donation-email choice is a form on /settings/notifications.
 */
test("after a contribution the admins' mailbox shows its receipt, kept, and opens its text", async ({ browser }) => {
  const title = `Mailbox garden ${Date.now()}`;
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const url = await createCampaign(await alice.newPage(), title, { goal: "5000" });
  await alice.close();

  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const donor = await bob.newPage();
  await donor.goto(url);
  await donor.getByLabel("Amount").fill("12.34");
  await donor.getByRole("button", { name: /^Contribute/ }).click();
  await expect(donor.getByTestId("contribute-result")).toContainText(/succeeded/i);
  // Not an admin: the mailbox does not exist for bob.
  const denied = await donor.goto("/admin/mail");
  expect(denied?.status()).toBe(404);
  await bob.close();

  const carol = await browser.newContext({ storageState: "test-results/.auth/carol.json" });
  const page = await carol.newPage();
  const receipt = page.getByRole("link", { name: new RegExp(`^Receipt #\\d+: \\$12\\.34 to ${title}$`) });
  // The consumer queues it and the sender keeps it within a second or two of the payment: reload until then.
  await expect(async () => {
    await page.goto("/admin/mail");
    await expect(receipt).toBeVisible({ timeout: 1000 });
    await expect(page.getByRole("row", { name: new RegExp(title) }).first()).toContainText("Kept (no SMTP)", { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await receipt.click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(title);
  await expect(page.getByTestId("mail-text")).toContainText("Thank you for your contribution of $12.34");
  await expect(page.getByTestId("mail-text")).toContainText("/receipt");
  await carol.close();
});

test("a creator chooses a daily digest of donation emails", async ({ browser }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  await page.goto("/settings/notifications");
  await page.getByLabel(/A daily digest/).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await page.reload();
  await expect(page.getByLabel(/A daily digest/)).toBeChecked();
  // Back to the default, for the other tests of this run.
  await page.getByLabel(/An email for each donation/).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await alice.close();
});
