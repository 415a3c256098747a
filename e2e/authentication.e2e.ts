import { expect, test } from "@playwright/test";
import { createCampaign } from "./helpers";

test("a 3-D Secure card: bob authenticates on the sandbox's page and comes back to a paid contribution; a failed check fails it", async ({
  browser,
}) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const url = await createCampaign(await alice.newPage(), "Roof for the shelter");
  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const page = await bob.newPage();
  await page.goto(url);

  await page.getByLabel("Amount").fill("30");
  await page.getByLabel("Payment method").selectOption("pm_card_authenticationRequired");
  await page.getByRole("button", { name: /^Contribute/ }).click();
  // The bank's challenge (the sandbox's stand-in), then back to the campaign.
  await page.waitForURL(/\/sandbox\/authenticate\?/);
  await expect(page.getByRole("heading", { name: "Authenticate your payment" })).toBeVisible();
  await expect(page.getByTestId("authenticate-amount")).toHaveText("$30.00");
  await page.getByRole("button", { name: "Complete authentication" }).click();
  await page.waitForURL((u) => u.pathname === new URL(url).pathname);
  await expect(page.getByTestId("contribute-result")).toContainText(/succeeded/i, { timeout: 20_000 });
  await expect(page.getByTestId("collected")).toHaveText("$30.00");
  expect(new URL(page.url()).search).toBe(""); // the return parameters are dropped once followed

  await page.getByLabel("Amount").fill("12");
  await page.getByLabel("Payment method").selectOption("pm_card_authenticationRequired");
  await page.getByRole("button", { name: /^Contribute/ }).click();
  await page.waitForURL(/\/sandbox\/authenticate\?/);
  await page.getByRole("button", { name: "Fail authentication" }).click();
  await page.waitForURL((u) => u.pathname === new URL(url).pathname);
  await expect(page.getByTestId("contribute-result")).toContainText(/failed authentication/i, { timeout: 20_000 });
  await expect(page.getByTestId("collected")).toHaveText("$30.00");
  await alice.close();
  await bob.close();
});
