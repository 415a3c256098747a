import { expect, test } from "@playwright/test";
import { createCampaign } from "./helpers";

test.describe("campaigns in the browser", () => {
  test("alice creates a campaign in the form; bob opens it by ID", async ({ browser }) => {
    const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
    const page = await alice.newPage();
    await page.goto("/campaigns/new");

    // a goal that is not an amount is refused, next to its field
    await page.getByLabel("Title").fill("New roof for the community hall");
    await page.getByLabel("Story").fill("Last winter's storm tore the roof off. Help us rebuild before the snow.");
    await page.getByLabel("Goal").fill("lots");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page.locator(".field-error, [role=alert]").first()).toBeVisible();
    await expect(page).toHaveURL(/\/campaigns\/new$/);

    // a server-side rule (title too short) is shown next to its field
    await page.getByLabel("Title").fill("ab");
    await page.getByLabel("Goal").fill("2500.50");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page.getByText(/at least 3 characters/)).toBeVisible();

    await page.getByLabel("Title").fill("New roof for the community hall");
    await page.getByLabel("Currency").selectOption("EUR");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);
    const id = page.url().split("/").at(-1) as string;
    await expect(page.getByTestId("campaign-title")).toHaveText("New roof for the community hall");

    const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
    const bobPage = await bob.newPage();
    await bobPage.goto(`/campaigns/${id}`);
    await expect(bobPage.getByTestId("campaign-title")).toHaveText("New roof for the community hall");
    await expect(bobPage.getByText("Alice Example")).toBeVisible();
    await expect(bobPage.getByText(/€2,500\.50/)).toBeVisible();
    await expect(bobPage.getByRole("progressbar")).toBeVisible();
    // bob is not the creator: no owner controls
    await expect(bobPage.getByRole("button", { name: /End campaign/ })).toHaveCount(0);

    // the campaign is on alice's dashboard
    await page.goto("/dashboard");
    await expect(page.getByRole("link", { name: "New roof for the community hall" })).toBeVisible();
    await alice.close();
    await bob.close();
  });

  test("a draft is hidden from others until its creator publishes it", async ({ browser }) => {
    const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
    const page = await alice.newPage();
    await page.goto("/campaigns/new");
    await page.getByLabel("Title").fill("Quiet draft");
    await page.getByLabel("Story").fill("Not ready yet.");
    await page.getByLabel("Goal").fill("100");
    await page.getByLabel("Publish now").uncheck();
    await page.getByRole("button", { name: "Create campaign" }).click();
    await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);
    const url = page.url();

    const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
    const bobPage = await bob.newPage();
    const hidden = await bobPage.goto(url);
    expect(hidden?.status()).toBe(404);

    await page.getByRole("button", { name: "Publish" }).click();
    // "End campaign" is offered to a draft too: wait for what only the published page shows.
    await expect(page.getByRole("button", { name: "Publish" })).toBeHidden();
    await expect(page.locator(".owner-panel")).toContainText("Status: Active");
    const shown = await bobPage.goto(url);
    expect(shown?.status()).toBe(200);
    await expect(bobPage.getByTestId("campaign-title")).toHaveText("Quiet draft");
    await alice.close();
    await bob.close();
  });

  test("a signed-in user creates an API token on the settings page and it works", async ({ browser, request }) => {
    const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
    const page = await alice.newPage();
    await page.goto("/settings/tokens");
    await page.getByLabel("Token name").fill("e2e client");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = (await page.getByText(/^cf_[A-Za-z0-9_-]{43}$/).textContent()) as string;
    const res = await request.post("/api/campaigns", {
      headers: { authorization: `Bearer ${secret}` },
      data: { title: "Made by an API client", story: "Hello", goalAmount: 1000, currency: "USD" },
    });
    expect(res.status()).toBe(201);
    await page.reload();
    await page.getByRole("button", { name: /Revoke e2e client/ }).click();
    await expect
      .poll(async () => (await request.get("/api/me/campaigns", { headers: { authorization: `Bearer ${secret}` } })).status())
      .toBe(401);
    await alice.close();
  });

  test("anonymous visitors are sent to sign in from private pages", async ({ page }) => {
    await page.goto("/dashboard");
    await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fdashboard/);
  });

  test("a visitor without an account shares a campaign: its address copied, plain links to share it elsewhere", async ({
    browser,
  }) => {
    const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
    const url = await createCampaign(await alice.newPage(), "Books for the village library");
    const visitor = await browser.newContext();
    await visitor.grantPermissions(["clipboard-read", "clipboard-write"]);
    const page = await visitor.newPage();
    await page.goto(url);
    const share = page.getByRole("region", { name: "Share this campaign" });
    await expect(share.getByLabel("Campaign address")).toHaveValue(url);
    await share.getByRole("button", { name: "Copy link" }).click();
    await expect(share.getByText("Link copied.")).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    const whatsapp = await share.getByRole("link", { name: "WhatsApp" }).getAttribute("href");
    expect(new URL(whatsapp as string).searchParams.get("text")).toBe(`Please support "Books for the village library": ${url}`);
    await expect(share.getByRole("link", { name: "E-mail" })).toHaveAttribute(
      "href",
      /^mailto:\?subject=Books%20for%20the%20village%20library&body=/,
    );
    await visitor.close();
    await alice.close();
  });
});
