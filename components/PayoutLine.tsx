import type { CampaignPayoutSummary, PayoutHold } from "@/lib/payouts";
import { describeFee, formatMoney } from "./format";

/**
 * Per campaign on the dashboard: what waits (and why: `hold`, from lib's payoutHold; null when the
 * next run pays it), what another payment provider's money is left (never paid out here), what is owed back (money refunded or disputed after it was paid out), what open
 * disputes hold, what is on its way, what was paid out. `minimum` in minor units; `holdHours`: how long
 * a contribution settles before it is payable (PAYOUT_HOLD_HOURS); `feeBps`: the platform fee already taken from
 * what waits (PLATFORM_FEE_BPS, basis points), said beside it.
 */
export function PayoutLine({
  summary: s,
  hold,
  minimum,
  timeZone,
  holdHours,
  feeBps,
}: {
  summary: CampaignPayoutSummary;
  hold: PayoutHold | null;
  minimum: number;
  timeZone: string;
  holdHours: number;
  feeBps: number;
}) {
  const m = (n: number) => formatMoney(n, s.currency);
  const settled =
    holdHours > 0
      ? `once it has settled for ${holdHours} hour${holdHours === 1 ? "" : "s"} before the 00:00 ${timeZone} cut-off`
      : `what settled before 00:00 ${timeZone}`;
  let why = `paid in the next daily payout (${settled})`;
  if (hold === "no_payout_account") why = "not paid: connect a payout account";
  else if (hold === "payouts_disabled") why = "not paid: your payout account cannot receive payouts yet";
  else if (hold === "campaign_suspended")
    why = s.frozen ? "held since the campaign was suspended" : "held while the campaign is suspended";
  else if (hold === "below_minimum") why = `paid once it reaches ${m(minimum)}`;
  return (
    <dl className="payout-line" aria-label="Payouts">
      {s.unpaid < 0 ? (
        <div>
          <dt>Owed back</dt>
          <dd>
            {m(-s.unpaid)}
            <span className="muted small"> — money refunded or disputed after it was paid out; taken from your next payouts</span>
          </dd>
        </div>
      ) : (
        <div>
          <dt>Waiting</dt>
          <dd>
            {m(s.unpaid)}
            {feeBps > 0 && <span className="muted small"> (after {describeFee(feeBps)})</span>}
            {s.unpaid > 0 && <span className="muted small"> — {why}</span>}
          </dd>
        </div>
      )}
      {s.otherProvider !== 0 && (
        <div>
          <dt>Not paid out here</dt>
          <dd>
            {m(s.otherProvider)}
            <span className="muted small">
              {" "}
              — collected through another payment provider (sandbox test money); never paid out
            </span>
          </dd>
        </div>
      )}
      {s.held > 0 && (
        <div>
          <dt>Held for disputes</dt>
          <dd>
            {m(s.held)}
            <span className="muted small"> — paid out only if the dispute is won</span>
          </dd>
        </div>
      )}
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
