import { type Browser, expect, type Page, test } from "@playwright/test";
import { createCampaign } from "./helpers";

/** A signed-in page of a seeded user (auth.setup.ts). */
async function pageOf(browser: Browser, who: "alice" | "bob" | "carol"): Promise<Page> {
  const context = await browser.newContext({ storageState: `test-results/.auth/${who}.json` });
  return context.newPage();
}

test.afterEach(async ({ browser }) => {
  for (const c of browser.contexts()) await c.close();
});

test("a user reports a campaign, an admin suspends it from /admin, and the audit log shows it", async ({ browser }) => {
  const title = `Too good to be true ${Date.now()}`;
  const alice = await pageOf(browser, "alice");
  const url = await createCampaign(alice, title);
  const id = new URL(url).pathname.split("/").pop() as string;
  // the creator is offered no report of their own campaign
  await expect(alice.getByText("Report this campaign")).toHaveCount(0);

  const bob = await pageOf(browser, "bob");
  await bob.goto(url);
  await bob.getByText("Report this campaign").click();
  await bob.getByLabel("Reason").selectOption("fraud");
  await bob.getByLabel("Details (optional)").fill("The pictures come from a news site.");
  await bob.getByRole("button", { name: "Send report" }).click();
  await expect(bob.getByTestId("report-done")).toContainText("the admins will review this campaign");

  const carol = await pageOf(browser, "carol");
  await carol.goto("/admin");
  await expect(carol.getByRole("heading", { name: "Moderation", level: 1 })).toBeVisible();
  const item = carol.locator(`#reports-heading ~ ul li[data-campaign-id="${id}"]`);
  await expect(item).toContainText(title);
  await expect(item).toContainText("1 open report");
  await expect(item).toContainText("The pictures come from a news site.");
  await item.getByText("Suspend…").click();
  await item.getByLabel("Reason (required; shown to the creator and admins only)").fill("Pictures taken from a news site");
  await item.getByRole("button", { name: "Suspend campaign" }).click();

  // it leaves the reports and is listed as suspended, with its reason and a Reinstate button
  const suspended = carol.locator(`#suspended-heading ~ ul li[data-campaign-id="${id}"]`);
  await expect(suspended).toContainText("Reason: Pictures taken from a news site");
  await expect(carol.locator(`#reports-heading ~ ul li[data-campaign-id="${id}"]`)).toHaveCount(0);
  await expect(suspended.getByRole("button", { name: /^Reinstate/ })).toBeVisible();

  await carol.getByRole("link", { name: "audit log" }).first().click();
  await carol.waitForURL(/\/admin\/audit$/);
  await carol.getByLabel("Subject ID").fill(id);
  await carol.getByRole("button", { name: "Filter" }).click();
  await carol.waitForURL(/subjectId=/);
  const row = carol.locator('tr[data-audit-action="campaign.suspend"]');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(id);
  await expect(row).toContainText("reason: Pictures taken from a news site");

  // the campaign page tells donors it is suspended
  await bob.goto(url);
  await expect(bob.getByText("This campaign is suspended: giving is paused.")).toBeVisible();
});

test("the admin pages are the not-found page for anyone but an admin", async ({ browser }) => {
  const bob = await pageOf(browser, "bob");
  for (const path of ["/admin", "/admin/audit"]) {
    const r = await bob.goto(path);
    expect(r?.status()).toBe(404);
  }
});

test("the home page lists a newly published campaign", async ({ browser }) => {
  const title = `Fresh on the home page ${Date.now()}`;
  const alice = await pageOf(browser, "alice");
  const url = await createCampaign(alice, title);
  const page = await pageOf(browser, "bob");
  // the listing is cached for a few seconds
  await expect(async () => {
    await page.goto("/");
    await expect(page.getByTestId("newest").getByRole("link", { name: title })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await page.getByTestId("newest").getByRole("link", { name: title }).click();
  await page.waitForURL(url);
  await expect(page.getByTestId("campaign-title")).toHaveText(title);
});

test.describe("with JavaScript disabled", () => {
  test("a user reports and an admin dismisses the report and suspends the campaign from /admin", async ({ browser }) => {
    const title = `Reported without scripts ${Date.now()}`;
    const aliceContext = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
    const url = await createCampaign(await aliceContext.newPage(), title);
    const id = new URL(url).pathname.split("/").pop() as string;

    const bob = await (
      await browser.newContext({ storageState: "test-results/.auth/bob.json", javaScriptEnabled: false })
    ).newPage();
    await bob.goto(url);
    await bob.getByText("Report this campaign").click();
    await bob.getByLabel("Reason").selectOption("spam");
    await bob.getByRole("button", { name: "Send report" }).click();
    await expect(bob.getByTestId("report-done")).toContainText("the admins will review this campaign");

    const carol = await (
      await browser.newContext({ storageState: "test-results/.auth/carol.json", javaScriptEnabled: false })
    ).newPage();
    await carol.goto("/admin");
    const item = carol.locator(`#reports-heading ~ ul li[data-campaign-id="${id}"]`);
    await expect(item).toContainText("1 open report");
    await item.getByRole("button", { name: "Dismiss" }).click();
    await expect(carol.locator(`#reports-heading ~ ul li[data-campaign-id="${id}"]`)).toHaveCount(0);

    // reported again once dismissed, then suspended from the queue
    await bob.goto(url);
    await bob.getByText("Report this campaign").click();
    await bob.getByLabel("Reason").selectOption("fraud");
    await bob.getByRole("button", { name: "Send report" }).click();
    await expect(bob.getByTestId("report-done")).toBeVisible();
    await carol.goto("/admin");
    await item.getByText("Suspend…").click();
    await item.getByLabel("Reason (required; shown to the creator and admins only)").fill("Spam, twice");
    await item.getByRole("button", { name: "Suspend campaign" }).click();
    await expect(carol.locator(`#suspended-heading ~ ul li[data-campaign-id="${id}"]`)).toContainText("Reason: Spam, twice");

    await carol.goto(`/admin/audit?subjectType=report`);
    await expect(carol.locator('tr[data-audit-action="report.dismiss"]').first()).toBeVisible();
  });
});
