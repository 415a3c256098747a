import type { ContributionDto } from "@/lib/payments/schemas";
import { formatMoney } from "./format";

const LABEL: Record<ContributionDto["status"], string> = {
  pending: "Pending",
  requires_action: "Awaiting authentication",
  succeeded: "Paid",
  failed: "Failed",
  partially_refunded: "Partially refunded",
  refunded: "Refunded",
};

const BADGE: Record<ContributionDto["status"], string> = {
  pending: "badge-draft",
  requires_action: "badge-draft",
  succeeded: "badge-active",
  failed: "badge-suspended",
  partially_refunded: "badge-refunded",
  refunded: "badge-refunded",
};

/** A contribution's status as a badge: "Paid", "Partially refunded $X", "Refunded", "Pending", "Failed". */
export function ContributionStatus({
  status,
  refundedAmount,
  currency,
}: {
  status: ContributionDto["status"];
  refundedAmount: number;
  currency: string;
}) {
  return (
    <span className={`badge ${BADGE[status]}`} data-testid="contribution-status">
      {LABEL[status]}
      {status === "partially_refunded" && ` ${formatMoney(refundedAmount, currency)}`}
    </span>
  );
}
