import { type Browser, expect, test } from "@playwright/test";
import { createCampaign } from "./helpers";

async function contribute(browser: Browser, url: string, amount: string, method = "pm_card_visa") {
  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const page = await bob.newPage();
  await page.goto(url);
  await page.getByLabel("Amount").fill(amount);
  await page.getByLabel("Payment method").selectOption(method);
  await page.getByRole("button", { name: /^Contribute/ }).click();
  await expect(page.getByTestId("contribute-result")).toContainText(/succeeded/i);
  return bob;
}

test("alice refunds part of bob's contribution after confirming, then the rest without JavaScript; bob sees both", async ({
  browser,
}) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  const title = `Bikes for the club ${Date.now()}`;
  const url = await createCampaign(page, title);
  const bob = await contribute(browser, url, "40");

  // from the dashboard's campaign card to its contributions
  await page.goto("/dashboard");
  await page
    .locator("article.campaign-card", { hasText: title })
    .getByRole("link", { name: /^Contributions/ })
    .click();
  await page.waitForURL(/\/dashboard\/campaigns\/[0-9a-f-]{36}\/contributions$/);
  const row = page.locator("li.contribution", { hasText: "Bob Example" });
  await expect(row).toContainText("$40.00");
  await expect(row.getByTestId("contribution-status")).toHaveText("Paid");

  // a partial refund, confirmed before any money moves
  await row.getByText("Refund…").click();
  await row.getByLabel("Amount to refund (optional)").fill("15");
  await row.getByLabel("Reason (optional)").fill("Bought one bike fewer");
  await row.getByRole("button", { name: "Review refund" }).click();
  await expect(row).toContainText("Refund $15.00 to Bob Example?");
  await expect(row.getByTestId("contribution-status")).toHaveText("Paid"); // nothing moved yet
  await row.getByRole("button", { name: "Confirm refund" }).click();
  await expect(row.getByTestId("refund-result")).toContainText(/Refunded \$15\.00 to Bob Example|Refund of \$15\.00 pending/);
  await expect(row.getByTestId("contribution-status")).toHaveText("Partially refunded $15.00");

  // too much is refused inline, nothing moves
  await row.getByText("Refund…").click();
  await row.getByLabel("Amount to refund (optional)").fill("30");
  await row.getByRole("button", { name: "Review refund" }).click();
  await expect(row.getByRole("alert")).toHaveText("Amount must be at most $25.00");

  // the rest, without JavaScript and at a phone's width: the same two steps as plain form posts
  const noJs = await browser.newContext({
    storageState: "test-results/.auth/alice.json",
    javaScriptEnabled: false,
    viewport: { width: 390, height: 844 },
  });
  const plain = await noJs.newPage();
  await plain.goto(page.url());
  const plainRow = plain.locator("li.contribution", { hasText: "Bob Example" });
  await plainRow.getByText("Refund…").click();
  await plainRow.getByRole("button", { name: "Review refund" }).click();
  await expect(plainRow).toContainText("Refund $25.00 to Bob Example?");
  await plainRow.getByRole("button", { name: "Confirm refund" }).click();
  await expect(plainRow.getByTestId("contribution-status")).toHaveText("Refunded");
  await expect(plainRow.getByRole("button", { name: "Review refund" })).toHaveCount(0);
  expect(await plain.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  // bob finds both refunds under "My contributions"
  const bobPage = await bob.newPage();
  await bobPage.goto("/");
  await bobPage.getByRole("navigation", { name: "Main" }).locator("summary").click();
  await bobPage.getByRole("link", { name: "My contributions" }).click();
  await bobPage.waitForURL(/\/contributions$/);
  const mine = bobPage.locator("li.contribution", { hasText: title });
  await expect(mine.getByRole("link", { name: title })).toHaveAttribute("href", new URL(url).pathname);
  await expect(mine.getByTestId("contribution-status")).toHaveText("Refunded");
  await expect(mine).toContainText("Refunded to you: $40.00 of $40.00");
  const refunds = mine.getByRole("list", { name: "Refunds" });
  await expect(refunds.getByRole("listitem")).toHaveCount(2);
  await expect(refunds).toContainText(/\$15\.00 (refunded|on its way back)/);
  await expect(refunds).toContainText("Bought one bike fewer");
  await expect(refunds).toContainText(/\$25\.00 (refunded|on its way back)/);

  await noJs.close();
  await alice.close();
  await bob.close();
});

test("a partial refund shows on bob's page while it is only partial", async ({ browser }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  const title = `Paint for the hall ${Date.now()}`;
  const url = await createCampaign(page, title);
  const bob = await contribute(browser, url, "20");
  await page.goto(`${new URL(url).pathname.replace("/campaigns/", "/dashboard/campaigns/")}/contributions`);
  const row = page.locator("li.contribution", { hasText: "Bob Example" });
  await row.getByText("Refund…").click();
  await row.getByLabel("Amount to refund (optional)").fill("5.50");
  await row.getByRole("button", { name: "Review refund" }).click();
  await row.getByRole("button", { name: "Confirm refund" }).click();
  await expect(row.getByTestId("contribution-status")).toHaveText("Partially refunded $5.50");

  const bobPage = await bob.newPage();
  await bobPage.goto("/contributions");
  const mine = bobPage.locator("li.contribution", { hasText: title });
  await expect(mine.getByTestId("contribution-status")).toHaveText("Partially refunded $5.50");
  await expect(mine).toContainText("Refunded to you: $5.50 of $20.00");

  // a donor cannot open the creator's list; nor the admins' disputes
  await bobPage.goto(page.url());
  await expect(bobPage.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await bobPage.goto("/admin/disputes");
  await expect(bobPage.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await alice.close();
  await bob.close();
});

test("a disputed contribution shows what is held, to the creator, on the campaign and to admins", async ({ browser }) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  const title = `Nets for the goals ${Date.now()}`;
  const url = await createCampaign(page, title);
  const bob = await contribute(browser, url, "30", "pm_card_createDispute");
  const list = `${new URL(url).pathname.replace("/campaigns/", "/dashboard/campaigns/")}/contributions`;
  const row = page.locator("li.contribution", { hasText: "Bob Example" });
  // the sandbox opens the dispute a few seconds after the payment
  await expect(async () => {
    await page.goto(list);
    await expect(row).toContainText("Disputed — $30.00 held", { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(row.getByText("Refund…")).toHaveCount(0);

  await expect(async () => {
    await page.goto(url);
    await expect(page.getByTestId("held")).toHaveText("$30.00 held while a dispute is reviewed", { timeout: 1000 });
  }).toPass({ timeout: 30_000 });

  await page.goto("/dashboard");
  await expect(page.locator("article.campaign-card", { hasText: title }).getByLabel("Payouts")).toContainText(
    "Held for disputes$30.00",
  );

  const carol = await browser.newContext();
  const admin = await carol.newPage();
  await admin.goto("/signin?callbackUrl=/dashboard");
  await admin.getByLabel("Email", { exact: true }).fill("carol@example.com");
  await admin.getByLabel("Password", { exact: true }).fill("password");
  await admin.getByRole("button", { name: "Sign in", exact: true }).click();
  await admin.waitForURL((u) => u.pathname === "/dashboard");
  await admin.getByRole("link", { name: "Disputes" }).click();
  await admin.waitForURL(/\/admin\/disputes$/);
  const open = admin.getByRole("region", { name: /^Open/ });
  const item = open.locator("li", { hasText: title });
  await expect(item).toContainText("$30.00");
  await expect(item.getByRole("link", { name: title })).toHaveAttribute("href", new URL(url).pathname);
  await carol.close();
  await alice.close();
  await bob.close();
});

test("the new private pages send anonymous visitors to sign in", async ({ browser, baseURL }) => {
  const visitor = await browser.newContext({ baseURL });
  const page = await visitor.newPage();
  for (const path of [
    "/contributions",
    "/admin/disputes",
    "/dashboard/campaigns/00000000-0000-7000-8000-000000000000/contributions",
  ]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get("callbackUrl") ?? "")).toBe(path);
  }
  await visitor.close();
});
