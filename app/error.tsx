"use client";

import Link from "next/link";
import { useEffect } from "react";

export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <div className="empty-state" role="alert">
      <h1>This page is unavailable right now</h1>
      <p className="muted">
        Sorry, we couldn&apos;t load it. This is usually temporary (for example while our database restarts): please retry in a
        moment.
      </p>
      {digest && <p className="muted small">Reference: {digest}</p>}
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={() => retry()}>
          Try again
        </button>
        <Link href="/" className="btn btn-secondary">
          Go home
        </Link>
      </div>
    </div>
  );
}
