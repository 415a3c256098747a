import type { CampaignPayoutSummary } from "@/lib/payouts";
import { formatMoney } from "./format";

export type PayoutBlocker = "no_payout_account" | "payouts_disabled" | "campaign_suspended" | null;

/** Per campaign on the dashboard: what waits (and why), what is on its way, what was paid out. */
export function PayoutLine({
  summary: s,
  blocker,
  minimum,
  timeZone,
}: {
  summary: CampaignPayoutSummary;
  blocker: PayoutBlocker;
  minimum: number;
  timeZone: string;
}) {
  const m = (n: number) => formatMoney(n, s.currency);
  let why = `paid in the next daily payout (what settled before 00:00 ${timeZone})`;
  if (blocker === "no_payout_account") why = "not paid: connect a payout account";
  else if (blocker === "payouts_disabled") why = "not paid: your payout account cannot receive payouts yet";
  else if (blocker === "campaign_suspended") why = "held while the campaign is suspended";
  else if (s.unpaid < minimum) why = `paid once it reaches ${m(minimum)}`;
  return (
    <dl className="payout-line" aria-label="Payouts">
      <div>
        <dt>Waiting</dt>
        <dd>
          {m(Math.max(0, s.unpaid))}
          {s.unpaid > 0 && <span className="muted small"> — {why}</span>}
        </dd>
      </div>
      <div>
        <dt>On its way</dt>
        <dd>{m(s.inTransit)}</dd>
      </div>
      <div>
        <dt>Paid out</dt>
        <dd>{m(s.paidOut)}</dd>
      </div>
      {s.lastFailure && (
        <div>
          <dt>Last payout</dt>
          <dd className="field-error">failed ({s.lastFailure}); retried in the next run</dd>
        </div>
      )}
    </dl>
  );
}
