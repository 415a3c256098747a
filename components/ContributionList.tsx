"use client";

import { useState } from "react";
import type { PublicContribution } from "@/lib/payments/schemas";
import { apiFetch, describeError } from "./api";
import { formatDateTime, formatMoney } from "./format";

export interface ContributionPage {
  items: PublicContribution[];
  nextCursor: string | null;
}

/**
 * Recent contributions: the server-rendered first page, then "Load more" pages from the API. `empty`: what to say
 * while there are none (components/format.ts `statusText`'s `noContributions`: "be the first" only while giving is open).
 */
export function ContributionList({
  campaignId,
  initial,
  empty,
}: {
  campaignId: string;
  initial: ContributionPage;
  empty: string;
}) {
  const [items, setItems] = useState(initial.items);
  const [cursor, setCursor] = useState(initial.nextCursor);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function loadMore() {
    if (!cursor) return;
    setBusy(true);
    setError(undefined);
    const q = new URLSearchParams({ cursor, limit: "10" });
    const res = await apiFetch<ContributionPage>(`/api/campaigns/${campaignId}/contributions?${q}`);
    setBusy(false);
    if (!res.ok) {
      setError(describeError(res.error));
      return;
    }
    setItems((prev) => {
      const seen = new Set(prev.map((c) => c.id));
      return [...prev, ...res.data.items.filter((c) => !seen.has(c.id))];
    });
    setCursor(res.data.nextCursor);
  }

  return (
    <div data-testid="contributions">
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="contribution-list">
          {items.map((c) => (
            <li key={c.id} className="contribution">
              <div className="contribution-head">
                <strong className="contribution-name">{c.name}</strong>
                <span className="contribution-amount">{formatMoney(c.amount, c.currency)}</span>
              </div>
              <time className="muted small" dateTime={c.createdAt}>
                {formatDateTime(c.createdAt)}
              </time>
              {c.message && <p className="contribution-message">{c.message}</p>}
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="btn btn-ghost btn-small load-more" disabled={busy} onClick={() => void loadMore()}>
          {busy ? "Loading…" : "Load more"}
        </button>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
