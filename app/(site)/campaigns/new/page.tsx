import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { NewCampaignForm } from "@/components/NewCampaignForm";
import { sessionUser } from "@/lib/auth/session";
import { firstEndDate } from "@/lib/campaigns/status";
import { chargeableCurrencies } from "@/lib/money/currency";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Start a campaign" };

export default async function NewCampaignPage() {
  const user = await sessionUser();
  if (!user) redirect("/signin?callbackUrl=/campaigns/new");
  const minDate = firstEndDate(new Date()); // the earliest end date the API accepts for a day picked here
  return (
    <div className="narrow">
      <h1>Start a campaign</h1>
      <p className="muted">Tell people what you are raising money for. You can keep it as a draft until you are ready.</p>
      <div className="card">
        <NewCampaignForm minDate={minDate} currencies={chargeableCurrencies()} />
      </div>
    </div>
  );
}
