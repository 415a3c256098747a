import type { CampaignPayoutSummary, PayoutHold } from "@/lib/payouts";
import { formatMoney } from "./format";

/**
 * Per campaign on the dashboard: what waits (and why: `hold`, from lib's payoutHold; null when the
 * next run pays it), what is on its way, what was paid out. `minimum` in minor units.
 */
export function PayoutLine({
  summary: s,
  hold,
  minimum,
  timeZone,
}: {
  summary: CampaignPayoutSummary;
  hold: PayoutHold | null;
  minimum: number;
  timeZone: string;
}) {
  const m = (n: number) => formatMoney(n, s.currency);
  let why = `paid in the next daily payout (what settled before 00:00 ${timeZone})`;
  if (hold === "no_payout_account") why = "not paid: connect a payout account";
  else if (hold === "payouts_disabled") why = "not paid: your payout account cannot receive payouts yet";
  else if (hold === "campaign_suspended") why = "held while the campaign is suspended";
  else if (hold === "below_minimum") why = `paid once it reaches ${m(minimum)}`;
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
