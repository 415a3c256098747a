import { type Browser, expect, type Page, test } from "@playwright/test";
import { createCampaign } from "./helpers";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** A signed-in page of a seeded user (auth.setup.ts), at `viewport`. */
async function pageOf(browser: Browser, who: "alice" | "bob" | "carol", viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ storageState: `test-results/.auth/${who}.json`, viewport });
  return context.newPage();
}

/** A day as the app shows it ("Nov 30, 2026"): en-US, UTC. */
const shown = (day: string) =>
  new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${day}T12:00:00Z`));
const today = () => new Date().toISOString().slice(0, 10);

test.afterEach(async ({ browser }) => {
  for (const c of browser.contexts()) await c.close();
});

test("finding 1: the creator fixes title, story, goal and end date on the edit page, errors next to their fields", async ({
  browser,
}) => {
  const page = await pageOf(browser, "alice");
  const url = await createCampaign(page, "Typo in the tilte");
  await page.getByRole("link", { name: "Edit the campaign" }).click();
  await page.waitForURL(/\/edit$/);
  const form = page.getByRole("form", { name: "Campaign details" });
  await expect(form.getByLabel("Title")).toHaveValue("Typo in the tilte");
  await expect(form.getByLabel("Goal (USD)")).toHaveValue("1000");

  // refused fields: each error next to its field, nothing saved
  await form.getByLabel("Title").fill("ab");
  await form.getByLabel("Goal (USD)").fill("lots");
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("#title-error")).toHaveText(/Title must be at least 3 characters/);
  await expect(page.locator("#goal-error")).toContainText("Goal");
  await expect(page).toHaveURL(/\/edit$/);
  await expect(form.getByLabel("Story")).toHaveValue("Every bit helps."); // what was typed stays

  // the first day the date picker offers is today, and the server takes it (finding 11)
  await expect(form.getByLabel("End date")).toHaveAttribute("min", today());
  await form.getByLabel("Title").fill("Typo in the title, fixed");
  await form.getByLabel("Story").fill("A better story.\n\nWith two paragraphs.");
  await form.getByLabel("Goal (USD)").fill("2500.50");
  await form.getByLabel("End date").fill(today());
  await form.getByRole("button", { name: "Save changes" }).click();
  await page.waitForURL(url);
  await expect(page.getByTestId("campaign-title")).toHaveText("Typo in the title, fixed");
  await expect(page.getByText("With two paragraphs.")).toBeVisible();
  await expect(page.getByText("raised of $2,500.50 goal")).toBeVisible();
  await expect(page.getByText(`Ends ${shown(today())}`)).toBeVisible();
  await expect(page.getByText("Ends today", { exact: true })).toBeVisible();

  // no end date again
  await page.getByRole("link", { name: "Edit the campaign" }).click();
  await page.getByLabel("End date").fill("");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForURL(url);
  await expect(page.getByText("No end date")).toBeVisible();
});

test("finding 2: ending asks first, takes a reason shown to donors, and the creator can reopen", async ({ browser }) => {
  const page = await pageOf(browser, "alice");
  const url = await createCampaign(page, "Ended by mistake");
  await page.getByText("End campaign…").click();
  // the first click only opens the confirmation: still active
  await expect(page.locator(".owner-panel")).toContainText("Status: Active");
  await page.getByLabel("Reason (optional; shown on the campaign page)").fill("We reached the goal elsewhere, thank you!");
  await page.getByRole("button", { name: "End campaign now" }).click();
  await expect(page.locator(".owner-panel")).toContainText("Status: Ended");

  const bob = await pageOf(browser, "bob", PHONE);
  await bob.goto(url);
  await expect(bob.getByRole("status").filter({ hasText: "The creator ended this campaign." })).toContainText(
    "Reason: We reached the goal elsewhere, thank you!",
  );
  await expect(bob.getByText(`Ended ${shown(today())}`)).toBeVisible();
  await expect(bob.getByRole("heading", { name: "Contribute" })).toHaveCount(0);

  await page.getByRole("button", { name: "Reopen" }).click();
  await expect(page.locator(".owner-panel")).toContainText("Status: Active");
  await bob.reload();
  await expect(bob.getByRole("heading", { name: "Contribute" })).toBeVisible();
  await expect(bob.getByText("The creator ended this campaign.")).toHaveCount(0);
});

test("without JavaScript: the edit form and the End confirmation post to their actions", async ({ browser }) => {
  const context = await browser.newContext({ storageState: "test-results/.auth/alice.json", javaScriptEnabled: false });
  const page = await context.newPage();
  const url = await createCampaign(page, "Edited without scripts");
  await page.goto(`${url}/edit`);
  await page.getByLabel("Title").fill("ab");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("#title-error")).toHaveText("Title must be at least 3 characters");
  await expect(page.getByLabel("Title")).toHaveValue("ab");
  await page.getByLabel("Title").fill("Edited without any scripts");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.waitForURL(url);
  await expect(page.getByTestId("campaign-title")).toHaveText("Edited without any scripts");

  await page.getByText("End campaign…").click();
  await page.getByLabel("Reason (optional; shown on the campaign page)").fill("Done for this year");
  await page.getByRole("button", { name: "End campaign now" }).click();
  await expect(page.locator(".owner-panel")).toContainText("Status: Ended");
  await expect(page.locator(".status-notice")).toContainText("Reason: Done for this year");
  await page.getByRole("button", { name: "Reopen" }).click();
  await expect(page.locator(".owner-panel")).toContainText("Status: Active");
});

test("finding 2: an admin suspends only with a reason, and reinstates", async ({ browser }) => {
  const alice = await pageOf(browser, "alice");
  const url = await createCampaign(alice, "To be reviewed");
  const carol = await pageOf(browser, "carol");
  await carol.goto(url);
  await carol.getByText("Suspend…").click();
  await expect(carol.locator(".owner-panel")).toContainText("Status: Active");
  await carol.getByRole("button", { name: "Suspend campaign" }).click();
  await expect(carol.getByText("Reason is required to suspend a campaign")).toBeVisible();
  await expect(carol.locator(".owner-panel")).toContainText("Status: Active");
  await carol.getByLabel("Reason (required; shown to the creator and admins only)").fill("Reported: the story names no clinic");
  await carol.getByRole("button", { name: "Suspend campaign" }).click();
  await expect(carol.locator(".owner-panel")).toContainText("Status: Suspended");
  await expect(carol.getByText("Reason: Reported: the story names no clinic")).toBeVisible();

  await carol.getByRole("button", { name: "Reinstate" }).click();
  await expect(carol.locator(".owner-panel")).toContainText("Status: Active");
  await alice.goto(url);
  await expect(alice.getByRole("link", { name: "Edit the campaign" })).toBeVisible();
  await expect(alice.locator(".status-notice")).toHaveCount(0);

  // suspended again, then ended by the admin: for good, its reason for the creator only
  await carol.getByText("Suspend…").click();
  await carol.getByLabel("Reason (required; shown to the creator and admins only)").fill("Reported again");
  await carol.getByRole("button", { name: "Suspend campaign" }).click();
  await expect(carol.locator(".owner-panel")).toContainText("Status: Suspended");
  await carol.getByText("End campaign…").click();
  await carol.getByLabel("Reason (optional; shown to the creator and admins only)").fill("Confirmed: not a real clinic");
  await carol.getByRole("button", { name: "End campaign now" }).click();
  await expect(carol.locator(".owner-panel")).toContainText("Status: Ended");
  await alice.reload();
  await expect(alice.locator(".status-notice")).toContainText("This campaign was ended by the platform.");
  await expect(alice.locator(".status-notice")).toContainText("Reason: Confirmed: not a real clinic");
  await expect(alice.getByRole("button", { name: "Reopen" })).toHaveCount(0);
  const bob = await pageOf(browser, "bob", PHONE);
  await bob.goto(url);
  await expect(bob.locator(".status-notice")).toHaveText("This campaign was ended by the platform.");
});

for (const [size, viewport] of [
  ["desktop", DESKTOP],
  ["phone", PHONE],
] as const) {
  test(`finding 3 (${size}): a suspended campaign says giving is paused; only its creator is told why`, async ({ browser }) => {
    const alice = await pageOf(browser, "alice", viewport);
    const url = await createCampaign(alice, `Suspended on ${size}`);
    await alice.getByRole("link", { name: "Edit the campaign" }).click();
    await alice.getByLabel("End date").fill(today());
    await alice.getByRole("button", { name: "Save changes" }).click();
    await alice.waitForURL(url);
    const carol = await pageOf(browser, "carol");
    await carol.goto(url);
    await carol.getByText("Suspend…").click();
    await carol
      .getByLabel("Reason (required; shown to the creator and admins only)")
      .fill("Private note: the documents are under review");
    await carol.getByRole("button", { name: "Suspend campaign" }).click();
    await expect(carol.locator(".owner-panel")).toContainText("Status: Suspended");

    const bob = await pageOf(browser, "bob", viewport);
    await bob.goto(url);
    await expect(bob.locator(".status-notice")).toContainText("This campaign is suspended: giving is paused.");
    await expect(bob.getByText("Private note")).toHaveCount(0);
    await expect(bob.getByText("Giving paused")).toBeVisible();
    await expect(bob.getByText("Ends today")).toHaveCount(0);
    await expect(bob.getByTestId("contributions")).toHaveText("No contributions yet: giving is paused.");
    await expect(bob.getByRole("heading", { name: "Contribute" })).toHaveCount(0);

    await alice.reload();
    await expect(alice.locator(".status-notice")).toContainText("Reason: Private note: the documents are under review");
    await expect(alice.locator(".status-notice")).toContainText("An admin can reinstate it");
    await expect(alice.getByRole("link", { name: /Edit the campaign|pictures and videos/ })).toHaveCount(0);
    await alice.goto(`${url}/edit`);
    await expect(alice.getByText("This campaign is suspended: it cannot change until an admin reinstates it.")).toBeVisible();
    await expect(alice.getByRole("button", { name: "Save changes" })).toHaveCount(0);
  });

  test(`finding 11 (${size}): a draft is not "started" nor open to "the first" contribution; an ended campaign keeps its date`, async ({
    browser,
  }) => {
    const alice = await pageOf(browser, "alice", viewport);
    await alice.goto("/campaigns/new");
    await expect(alice.getByLabel("End date")).toHaveAttribute("min", today());
    await alice.getByLabel("Title").fill(`Draft on ${size}`);
    await alice.getByLabel("Story").fill("Not ready yet.");
    await alice.getByLabel("Goal").fill("100");
    await alice.getByLabel("Publish now").uncheck();
    await alice.getByRole("button", { name: "Create campaign" }).click();
    await alice.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    await expect(alice.getByText(`draft created ${shown(today())}`)).toBeVisible();
    await expect(alice.getByText(/started/)).toHaveCount(0);
    await expect(alice.getByText("Not published yet")).toBeVisible();
    await expect(alice.getByTestId("contributions")).toHaveText(
      "No contributions yet: giving opens once the campaign is published.",
    );

    await alice.getByText("End campaign…").click();
    await alice.getByRole("button", { name: "End campaign now" }).click();
    await expect(alice.locator(".owner-panel")).toContainText("Status: Ended");
    await expect(alice.getByText(`Ended ${shown(today())}`)).toBeVisible();
    await expect(alice.getByTestId("contributions")).toHaveText("No contributions were made.");

    await alice.goto("/dashboard");
    const card = alice.locator(".campaign-card").filter({ hasText: `Draft on ${size}` });
    await expect(card).toContainText("Ended");
    await expect(card).not.toContainText("be the first");
  });
}
