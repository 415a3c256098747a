import { expect, test } from "@playwright/test";
import sharp from "sharp";
import { createCampaign } from "./helpers";

/** Campaign updates, receipts and the donor wall in Chromium (docs/updates.md, docs/receipts.md, docs/donor-wall.md). */

const photo = () =>
  sharp({ create: { width: 900, height: 600, channels: 3, background: "#3f7a2a" } })
    .jpeg()
    .toBuffer();

test("a creator posts an update with a picture; a visitor sees it at once, a donor subscribes, gets a receipt and is on the wall", async ({
  browser,
}) => {
  const alice = await browser.newContext({ storageState: "test-results/.auth/alice.json" });
  const page = await alice.newPage();
  const title = `Orchard for the school ${Date.now()}`;
  const url = await createCampaign(page, title, { story: "Twenty apple trees for the schoolyard.", goal: "3000" });
  const path = new URL(url).pathname;

  // a picture for the campaign, added the usual way on its edit page
  await page.getByRole("link", { name: "Edit the campaign" }).click();
  await page.locator('input[type="file"]').setInputFiles({ name: "trees.jpg", mimeType: "image/jpeg", buffer: await photo() });
  await expect(page.getByTestId("asset-item")).toHaveCount(1);

  // a visitor's view is rendered and cached before the update
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto(path);
  await expect(visitor.getByTestId("campaign-title")).toHaveText(title);

  // the update, with the campaign's picture chosen; an empty one is refused first
  await page.goto(path);
  await page.getByRole("button", { name: "Post update" }).click();
  await expect(page.getByText("Update is required")).toBeVisible();
  await page.getByLabel("Your update").fill("The trees arrived today!\nPlanting starts on Saturday.");
  await page.getByRole("radio", { name: "Picture 1" }).check();
  await page.getByRole("button", { name: "Post update" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Update posted." })).toBeVisible();
  const updates = page.getByTestId("updates");
  await expect(updates).toContainText("The trees arrived today!");
  const picture = updates.getByRole("img", { name: "Picture posted with this update" });
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(page.getByLabel("Your update")).toHaveValue(""); // ready for the next one
  await alice.close();

  // the visitor reloads: the cached page shows the update at once
  await visitor.reload();
  await expect(visitor.getByTestId("updates")).toContainText("Planting starts on Saturday.");
  await visitorContext.close();

  // bob gives anonymously, asks for the updates by email, and finds his receipt
  const bob = await browser.newContext({ storageState: "test-results/.auth/bob.json" });
  const donor = await bob.newPage();
  await donor.goto(path);
  await donor.getByLabel("Amount").fill("40");
  await donor.getByLabel("Message (optional)").fill("Apples for everyone!");
  await donor.getByLabel("Contribute anonymously").check();
  await donor.getByLabel("Email me this campaign's updates").check();
  await donor.getByRole("button", { name: /^Contribute/ }).click();
  await expect(donor.getByTestId("contribute-result")).toContainText(/succeeded/i);

  await donor.goto("/contributions");
  await donor.locator("li.contribution", { hasText: title }).getByRole("link", { name: "Receipt" }).click();
  await expect(donor.getByRole("heading", { level: 1 })).toHaveText(/^Receipt No\. \d+$/);
  await expect(donor.getByTestId("receipt-amount")).toHaveText("$40.00");
  await expect(donor.getByText(title)).toBeVisible();
  await expect(donor.getByText(/^pi_/)).toBeVisible();
  await expect(donor.getByRole("button", { name: "Print" })).toBeVisible();
  // printed, the site's header and the buttons are left out
  await donor.emulateMedia({ media: "print" });
  await expect(donor.locator(".site-header")).toBeHidden();
  await expect(donor.getByRole("button", { name: "Print" })).toBeHidden();
  await donor.emulateMedia({ media: "screen" });

  // the donor wall, linked from the campaign page: the gift is Anonymous everywhere, its words are there
  await donor.goto(path);
  await donor.getByRole("link", { name: /Donor wall/ }).click();
  await expect(donor).toHaveURL(new RegExp(`${path}/contributions$`));
  await expect(donor.getByTestId("top-donors")).toContainText("Anonymous");
  await expect(donor.getByTestId("words-of-support")).toContainText("Apples for everyone!");
  await expect(donor.getByTestId("all-contributions")).toContainText("Anonymous");
  await expect(donor.getByRole("main")).not.toContainText("Bob Example");
  await bob.close();
});
