"use server";

import { refresh } from "next/cache";
import { type ActionResult, actionUser, formText, parseForm, runAction } from "@/lib/actions";
import { db } from "@/lib/app";
import { type DonationNotice, donationNoticeSchema, setDonationNotice } from "@/lib/mail/preferences";

/**
 * The signed-in creator's choice of donation emails (settings page /settings/notifications). Field:
 * donationNotice = each | daily | off (VALIDATION_FAILED otherwise). Answers the recorded choice.
 */
export async function setDonationNoticeAction(
  _prev: ActionResult<{ donationNotice: DonationNotice }> | undefined,
  form: FormData,
): Promise<ActionResult<{ donationNotice: DonationNotice }>> {
  return runAction("setDonationNotice", async () => {
    const user = await actionUser();
    const { donationNotice } = parseForm(donationNoticeSchema, { donationNotice: formText(form, "donationNotice") });
    await setDonationNotice(db(), user.id, donationNotice);
    refresh();
    return { donationNotice };
  });
}
