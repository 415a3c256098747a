import { expect, test } from "@playwright/test";
import { createCampaign } from "./helpers";

test("bob contributes in the browser: a card succeeds, a declined card fails cleanly, the total moves", async ({ browser }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const url = await createCampaign(await alice.newPage(), "Garden for the school");

  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const page = await bob.newPage();
  await page.goto(url);
  await expect(page.getByTestId("contributions")).toContainText("No contributions yet");

  await page.getByLabel("Amount").fill("25");
  await page.getByLabel("Payment method").selectOption("pm_card_visa");
  await page.getByLabel("Message (optional)").fill("For the tomatoes");
  await page.getByRole("button", { name: /^Contribute/ }).click();
  await expect(page.getByTestId("contribute-result")).toContainText(/succeeded/i);
  await expect(page.getByTestId("collected")).toHaveText("$25.00");
  await expect(page.getByTestId("contributions")).toContainText("Bob Example");
  await expect(page.getByTestId("contributions")).toContainText("For the tomatoes");

  await page.getByLabel("Amount").fill("40");
  await page.getByLabel("Payment method").selectOption("pm_card_chargeDeclined");
  await page.getByRole("button", { name: /^Contribute/ }).click();
  await expect(page.getByTestId("contribute-result")).toContainText(/declined/i);
  await expect(page.getByTestId("collected")).toHaveText("$25.00");

  // the delayed method shows "processing", then succeeds on its own once the webhook lands
  await page.getByLabel("Amount").fill("10");
  await page.getByLabel("Payment method").selectOption("pm_card_processing");
  await page.getByLabel("Contribute anonymously").check();
  await page.getByRole("button", { name: /^Contribute/ }).click();
  await expect(page.getByTestId("contribute-result")).toContainText(/processing/i);
  await expect(page.getByTestId("contribute-result")).toContainText(/succeeded/i, { timeout: 20_000 });
  await expect(page.getByTestId("collected")).toHaveText("$35.00");
  await expect(page.getByTestId("contributions")).toContainText("Anonymous");
  await alice.close();
  await bob.close();
});

test("anonymous visitors are asked to sign in before contributing", async ({ browser, baseURL }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const url = await createCampaign(await alice.newPage(), "Open to everyone");
  const visitor = await browser.newContext({ baseURL });
  const page = await visitor.newPage();
  await page.goto(url);
  await expect(page.getByRole("link", { name: /Sign in to contribute/ })).toBeVisible();
  await alice.close();
  await visitor.close();
});
