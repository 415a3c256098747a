import { type Browser, expect, type Page, test } from "@playwright/test";
import { createCampaign } from "./helpers";

/** Issue 19, findings 4, 5, 7, 8, 9: amounts as people type them, the forms' errors, story links, progress. */

type Viewport = { width: number; height: number };
const DESKTOP: Viewport = { width: 1280, height: 800 };
const PHONE: Viewport = { width: 390, height: 844 };
const SIZES = [
  { name: "desktop", viewport: DESKTOP },
  { name: "phone", viewport: PHONE },
];

async function as(browser: Browser, who: "alice" | "bob", viewport = DESKTOP) {
  const context = await browser.newContext({ storageState: `test-results/.auth/${who}.json`, viewport });
  return { context, page: await context.newPage() };
}

/** Contribute on the campaign page with the sandbox's card that succeeds; waits for the thank-you and the total. */
async function give(page: Page, amount: string, collected: string) {
  await page.getByLabel("Amount").fill(amount);
  await page.getByLabel("Payment method").selectOption("pm_card_visa");
  await page.getByRole("button", { name: /^Contribute/ }).click();
  await expect(page.getByTestId("contribute-result")).toContainText(/succeeded/i);
  await expect(page.getByTestId("collected")).toHaveText(collected);
}

for (const size of SIZES) {
  test(`finding 4 (${size.name}): goals and gifts typed with thousands separators are read in the currency's digits`, async ({
    browser,
  }) => {
    const alice = await as(browser, "alice", size.viewport);
    const dollars = await createCampaign(alice.page, `Typed goal ${size.name} ${Date.now()}`, { goal: "12,000" });
    await expect(alice.page.getByText("raised of $12,000.00 goal")).toBeVisible();

    // yen: no decimals, and the example in the error says so
    await alice.page.goto("/campaigns/new");
    await alice.page.getByLabel("Title").fill(`Yen goal ${size.name}`);
    await alice.page.getByLabel("Story").fill("A kiln for the pottery club.");
    await alice.page.getByLabel("Currency").selectOption("JPY");
    await alice.page.getByLabel("Goal").fill("12.50");
    await alice.page.getByRole("button", { name: "Create campaign" }).click();
    await expect(alice.page.locator("#goal-error")).toHaveText("Goal must be a number such as 1500 (JPY has no decimals)");
    await alice.page.getByLabel("Goal").fill("¥150,000");
    await alice.page.getByRole("button", { name: "Create campaign" }).click();
    await alice.page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    await expect(alice.page.getByText("raised of ¥150,000 goal")).toBeVisible();
    const yen = alice.page.url();

    const bob = await as(browser, "bob", size.viewport);
    await bob.page.goto(yen);
    await bob.page.getByLabel("Amount").fill("1,500");
    await expect(bob.page.getByRole("button", { name: "Contribute ¥1,500" })).toBeVisible();
    await give(bob.page, "1,500", "¥1,500");
    await bob.page.goto(dollars);
    await give(bob.page, "$1,000.50", "$1,000.50");
    // an ambiguous amount is refused next to its field, before anything is sent
    await bob.page.getByLabel("Amount").fill("1.500");
    await bob.page.getByRole("button", { name: /^Contribute/ }).click();
    await expect(bob.page.locator("#contribute-amount-error")).toHaveText(
      "Amount is ambiguous: write it without thousands separators, such as 12.50.",
    );
    await expect(bob.page.getByTestId("collected")).toHaveText("$1,000.50");
    await alice.context.close();
    await bob.context.close();
  });
}

test("finding 4: the refund form reads an amount as the page prints it (¥ and thousands separators)", async ({ browser }) => {
  const alice = await as(browser, "alice");
  const title = `Yen refund ${Date.now()}`;
  const url = await createCampaign(alice.page, title, { goal: "100,000", currency: "JPY" });
  const bob = await as(browser, "bob", PHONE);
  await bob.page.goto(url);
  await give(bob.page, "3,000", "¥3,000");

  await alice.page.goto(`${url.replace("/campaigns/", "/dashboard/campaigns/")}/contributions`);
  const row = alice.page.locator("li.contribution", { hasText: "Bob Example" });
  await row.getByText("Refund…").click();
  await row.getByLabel("Amount to refund (optional)").fill("¥1,200");
  await row.getByRole("button", { name: "Review refund" }).click();
  await expect(row).toContainText("Refund ¥1,200 to Bob Example?");
  await row.getByRole("button", { name: "Cancel" }).click();
  await row.getByText("Refund…").click();
  await row.getByLabel("Amount to refund (optional)").fill("12.5");
  await row.getByRole("button", { name: "Review refund" }).click();
  await expect(row.getByRole("alert")).toHaveText("Amount must be a number such as 1500 (JPY has no decimals)");
  await alice.context.close();
  await bob.context.close();
});

for (const size of SIZES) {
  test(`finding 5 (${size.name}): an empty new-campaign form shows every field's error at once and focuses the first`, async ({
    browser,
  }) => {
    const { context, page } = await as(browser, "alice", size.viewport);
    await page.goto("/campaigns/new");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page.locator("#title-error")).toHaveText("Title must be at least 3 characters");
    await expect(page.locator("#story-error")).toHaveText("Story is required");
    await expect(page.locator("#goal-error")).toHaveText("Goal is required: enter an amount such as 12.50");
    for (const [label, id] of [
      ["Title", "title"],
      ["Story", "story"],
      ["Goal", "goal"],
    ] as const) {
      await expect(page.getByLabel(label)).toHaveAttribute("aria-invalid", "true");
      await expect(page.getByLabel(label)).toHaveAttribute("aria-describedby", new RegExp(`\\b${id}-error\\b`));
    }
    await expect(page.getByLabel("Currency")).not.toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Title")).toBeFocused();

    // the title mended: the story is now the first field in error, and takes the focus
    await page.getByLabel("Title").fill("Swings for the park");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page.locator("#title-error")).toHaveCount(0);
    await expect(page.getByLabel("Title")).not.toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Story")).toBeFocused();
    await expect(page.locator("#goal-error")).toBeVisible();
    await expect(page).toHaveURL(/\/campaigns\/new$/);
    await context.close();
  });
}

test("finding 7 (phone): a new amount clears the last thank-you; the button names only an amount that can be charged", async ({
  browser,
}) => {
  const alice = await as(browser, "alice");
  const url = await createCampaign(alice.page, `Limits ${Date.now()}`);
  const { context, page } = await as(browser, "bob", PHONE);
  await page.goto(url);
  await give(page, "25", "$25.00");

  const button = page.locator(".contribute-form button[type=submit]");
  await page.getByLabel("Amount").fill("99999999999");
  await expect(button).toHaveText("Contribute");
  await page.getByLabel("Amount").fill("0.10");
  await expect(button).toHaveText("Contribute");
  await page.getByLabel("Amount").fill("12,000");
  await expect(button).toHaveText("Contribute $12,000.00");

  await page.getByLabel("Amount").fill("99999999999");
  await button.click();
  await expect(page.locator("#contribute-amount-error")).toHaveText("Amount must be between $0.50 and $999,999.99.");
  await expect(page.getByTestId("contribute-result")).toHaveCount(0); // the last gift's thank-you is gone
  await expect(page.getByTestId("collected")).toHaveText("$25.00");
  await alice.context.close();
  await context.close();
});

test("finding 8: web addresses in a story are links, and nothing else in it is interpreted", async ({ browser }) => {
  const alice = await as(browser, "alice");
  const story = [
    "Our plan: https://example.org/plan?step=1&x=2.",
    "Not code: <script>window.__injected = true</script> nor <b>bold</b>.",
    'Not links: javascript:alert(1) <a href="javascript:alert(2)">click</a> www.example.com',
  ].join("\n");
  const url = await createCampaign(alice.page, `Links ${Date.now()}`, { story });
  const bob = await as(browser, "bob", PHONE);
  await bob.page.goto(url);
  const section = bob.page.getByRole("region", { name: "Story" });
  const links = section.getByRole("link");
  await expect(links).toHaveCount(1);
  await expect(links).toHaveText("https://example.org/plan?step=1&x=2");
  await expect(links).toHaveAttribute("href", "https://example.org/plan?step=1&x=2");
  await expect(links).toHaveAttribute("rel", "nofollow ugc noopener noreferrer");
  await expect(section).toContainText("<script>window.__injected = true</script> nor <b>bold</b>.");
  await expect(section).toContainText('javascript:alert(1) <a href="javascript:alert(2)">click</a>');
  await expect(section.locator("script, b, a[href^='javascript']")).toHaveCount(0);
  expect(await bob.page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();
  await alice.context.close();
  await bob.context.close();
});

for (const size of SIZES) {
  test(`finding 9 (${size.name}): a gift below 1% of the goal shows as <1% and a sliver of the bar`, async ({ browser }) => {
    const alice = await as(browser, "alice", size.viewport);
    const title = `Sliver ${size.name} ${Date.now()}`;
    const url = await createCampaign(alice.page, title, { goal: "12,000" });
    const bar = alice.page.getByRole("progressbar", { name: "Funding progress" });
    await expect(alice.page.locator(".stat-list")).toContainText("0% funded");
    expect((await bar.locator(".progress-fill").boundingBox())?.width ?? 0).toBe(0);

    const bob = await as(browser, "bob", size.viewport);
    await bob.page.goto(url);
    await give(bob.page, "97.50", "$97.50");
    await expect(bob.page.locator(".stat-list")).toContainText("<1% funded");
    const bobBar = bob.page.getByRole("progressbar", { name: "Funding progress" });
    await expect(bobBar).toHaveAttribute("aria-valuetext", "<1% of goal");
    expect((await bobBar.locator(".progress-fill").boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(8);

    await alice.page.goto("/dashboard");
    const card = alice.page.locator("article.campaign-card", { hasText: title });
    await expect(card).toContainText("$97.50 raised of $12,000.00 (<1%)");
    await alice.context.close();
    await bob.context.close();
  });
}
