import { expect, test } from "@playwright/test";
import { runCli } from "../tests/support/cli";

/** The day's payout run, as an operator starts it (the app's own scheduler may hold the lock for a moment: retry). */
async function runPayouts(): Promise<string> {
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  let out = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await runCli(["payouts", "run", "--date", tomorrow, "--allow-future-cutoff"], {
      DATABASE_URL: process.env.E2E_DATABASE_URL,
      PAYOUT_HOLD_HOURS: "0", // what settled a moment ago is payable
    });
    out = r.out;
    if (r.code === 0) return out;
    if (!out.includes("another payout run is in progress")) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`payouts run failed:\n${out}`);
}

test("a creator sees what waits, then the day's payout, on the dashboard", async ({ browser }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  await page.goto("/campaigns/new");
  const title = `Roof for the library ${Date.now()}`;
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Story").fill("The rain gets in.");
  await page.getByLabel("Goal").fill("5000");
  await page.getByRole("button", { name: "Create campaign" }).click();
  await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
  const url = page.url();

  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const bobPage = await bob.newPage();
  await bobPage.goto(url);
  await bobPage.getByLabel("Amount").fill("30");
  await bobPage.getByLabel("Payment method").selectOption("pm_card_visa");
  await bobPage.getByRole("button", { name: /^Contribute/ }).click();
  await expect(bobPage.getByTestId("contribute-result")).toContainText(/succeeded/i);

  await page.goto("/settings/payouts");
  await expect(page.getByTestId("payouts-enabled")).toHaveText("Enabled"); // the demo users start connected

  const card = page.locator("article.campaign-card", { hasText: title });
  await page.goto("/dashboard");
  await expect(card.getByLabel("Payouts")).toContainText("Waiting$30.00");
  await expect(card.getByLabel("Payouts")).toContainText("paid in the next daily payout");

  const out = await runPayouts();
  expect(out).toContain("payout run complete");

  await page.goto("/dashboard");
  await expect(card.getByLabel("Payouts")).toContainText("Paid out$30.00");
  await expect(card.getByLabel("Payouts")).toContainText("Waiting$0.00");
  const row = page.locator(".payout-table tr", { hasText: title });
  await expect(row).toContainText("$30.00");
  await expect(row).toContainText("Paid");
  await alice.close();
  await bob.close();
});
