import Link from "next/link";
import type { PayoutDto } from "@/lib/payouts";
import { formatDate, formatMoney } from "./format";
import { TableWrap } from "./TableWrap";

const LABEL: Record<PayoutDto["status"], string> = {
  pending: "Pending",
  submitted: "Submitted",
  paid: "Paid",
  failed: "Failed",
};

export function PayoutHistory({ items }: { items: PayoutDto[] }) {
  if (items.length === 0) return <p className="muted">No payouts yet. Money collected is paid out once a day.</p>;
  return (
    <TableWrap label="Payout history">
      <table className="table payout-table">
        <thead>
          <tr>
            <th>Day</th>
            <th>Campaign</th>
            <th>Amount</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.id} data-payout-id={p.id}>
              <td>{formatDate(`${p.payoutDate}T00:00:00Z`)}</td>
              <td>
                <Link href={`/campaigns/${p.campaignId}`}>{p.campaignTitle}</Link>
              </td>
              <td>{formatMoney(p.amount, p.currency)}</td>
              <td>
                <span className={`badge badge-payout-${p.status}`}>{LABEL[p.status]}</span>
                {p.failureCode && <span className="muted small"> {p.failureCode}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
