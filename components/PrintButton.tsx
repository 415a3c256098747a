"use client";

/** "Print" for a printable page (a receipt): the browser's print dialog, where "Save as PDF" is one choice. */
export function PrintButton({ label = "Print" }: { label?: string }) {
  return (
    <button type="button" className="btn btn-secondary no-print" onClick={() => window.print()}>
      {label}
    </button>
  );
}
