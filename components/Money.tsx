import { formatMoney } from "./format";

export function Money({ amount, currency, testId }: { amount: number; currency: string; testId?: string }) {
  return <span data-testid={testId}>{formatMoney(amount, currency)}</span>;
}
