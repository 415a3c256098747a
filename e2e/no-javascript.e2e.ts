import { expect, test } from "@playwright/test";

// The browser's forms post to server actions: they work before hydration, and with JavaScript off.
test.describe("with JavaScript disabled", () => {
  test.use({ javaScriptEnabled: false, storageState: "test-results/.auth/alice.json" });

  test("alice sees the inline errors of an empty form, then creates a campaign", async ({ page }) => {
    await page.goto("/campaigns/new");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page).toHaveURL(/\/campaigns\/new$/);
    await expect(page.locator("#title-error")).toHaveText("Title must be at least 3 characters");
    await expect(page.locator("#story-error")).toHaveText("Story is required");
    await expect(page.locator("#goal-error")).toHaveText("Goal is required: enter an amount such as 12.50");

    // what was typed stays after a refused submission
    await page.getByLabel("Title").fill("Books for the night school");
    await page.getByLabel("Goal").fill("750.50");
    await page.getByLabel("Currency").selectOption("EUR");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page.locator("#story-error")).toHaveText("Story is required");
    await expect(page.locator("#title-error")).toHaveCount(0);
    await expect(page.getByLabel("Title")).toHaveValue("Books for the night school");
    await expect(page.getByLabel("Currency")).toHaveValue("EUR");

    await page.getByLabel("Story").fill("Evening classes need books.");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId("campaign-title")).toHaveText("Books for the night school");
    await expect(page.getByText(/€750\.50/)).toBeVisible();
  });

  test("bob contributes with a sandbox card", async ({ browser }) => {
    const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json", javaScriptEnabled: false });
    const create = await alice.newPage();
    await create.goto("/campaigns/new");
    await create.getByLabel("Title").fill("Lights for the pitch");
    await create.getByLabel("Story").fill("So that we can play after dark.");
    await create.getByLabel("Goal").fill("300");
    await create.getByRole("button", { name: "Create campaign" }).click();
    await expect(create).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);

    const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json", javaScriptEnabled: false });
    const page = await bob.newPage();
    await page.goto(create.url());
    await page.getByLabel("Amount").fill("20");
    await page.getByLabel("Payment method").selectOption("pm_card_visa");
    await page.getByRole("button", { name: /^Contribute/ }).click();
    await expect(page.getByTestId("contribute-result")).toContainText(/succeeded/i);
    await alice.close();
    await bob.close();
  });
});
