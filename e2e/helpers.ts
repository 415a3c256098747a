import type { Page } from "@playwright/test";

/** Create a campaign (a draft) through the new-campaign form as the page's signed-in user; answers its URL. */
export async function createCampaign(
  page: Page,
  title: string,
  over: { story?: string; goal?: string; currency?: string } = {},
): Promise<string> {
  await page.goto("/campaigns/new");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Story").fill(over.story ?? "Every bit helps.");
  await page.getByLabel("Goal").fill(over.goal ?? "1000");
  if (over.currency) await page.getByLabel("Currency").selectOption(over.currency);
  await page.getByRole("button", { name: "Create campaign" }).click();
  await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
  return page.url();
}
