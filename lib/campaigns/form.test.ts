import { describe, expect, it } from "vitest";
import { type CampaignFormValues, campaignFormValues, checkCampaignForm } from "./form";

const filled: CampaignFormValues = {
  title: "Swings for the park",
  story: "The old ones rusted.",
  goal: "12,000",
  currency: "USD",
  endsAt: "",
  publish: true,
};

describe("checkCampaignForm (the browser's and the server action's check)", () => {
  it("reports every failing field of an empty form at once (issue 19, finding 5)", () => {
    const r = checkCampaignForm({ ...filled, title: "", story: "", goal: "" });
    expect(r).toEqual({
      ok: false,
      details: [
        { field: "title", message: "must be at least 3 characters" },
        { field: "story", message: "is required" },
        { field: "goalAmount", message: "is required: enter an amount such as 12.50", code: "AMOUNT_REQUIRED" },
      ],
    });
  });

  it("reads the goal in the chosen currency, and refuses it with the parser's code and example", () => {
    expect(checkCampaignForm(filled)).toMatchObject({ ok: true, data: { goalAmount: 1_200_000, currency: "USD" } });
    expect(checkCampaignForm({ ...filled, goal: "1,500", currency: "JPY" })).toMatchObject({
      ok: true,
      data: { goalAmount: 1500, currency: "JPY" },
    });
    expect(checkCampaignForm({ ...filled, goal: "12.50", currency: "JPY" })).toEqual({
      ok: false,
      details: [
        { field: "goalAmount", message: "must be a number such as 1500 (JPY has no decimals)", code: "AMOUNT_TOO_PRECISE" },
      ],
    });
  });

  it("reports a goal the schema refuses (zero) with the schema's message", () => {
    expect(checkCampaignForm({ ...filled, goal: "0" })).toEqual({
      ok: false,
      details: [{ field: "goalAmount", message: "must be positive" }],
    });
  });

  it("reads a submitted form's fields", () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ title: "T", story: "S", goal: "5", currency: "EUR", endsAt: "2030-01-01" })) {
      form.set(k, v);
    }
    expect(campaignFormValues(form)).toEqual({
      title: "T",
      story: "S",
      goal: "5",
      currency: "EUR",
      endsAt: "2030-01-01",
      publish: false,
    });
  });
});
