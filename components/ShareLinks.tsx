"use client";

import { useEffect, useState } from "react";
import { shareLinks } from "@/lib/campaigns/share";
import { useCopy } from "./useCopy";

/**
 * "Share this campaign": plain links to e-mail, WhatsApp, X and Facebook (no third-party script), the address in a
 * field anyone can select, and a Copy button. `path`: /campaigns/{id}; `origin`: the app's configured public
 * origin (NEXTAUTH_URL), if any. The page may be cached and served to anyone, so in the browser the links use the
 * address the visitor actually came to; without JavaScript, the configured origin (or the path alone).
 */
export function ShareLinks({ path, title, origin }: { path: string; title: string; origin?: string }) {
  const [base, setBase] = useState(origin ?? "");
  const { copied, copy } = useCopy();
  useEffect(() => setBase(window.location.origin), []);
  const url = base + path;

  return (
    <section className="card share-card" aria-labelledby="share-heading">
      <h2 id="share-heading">Share this campaign</h2>
      <div className="share-copy">
        <label className="visually-hidden" htmlFor="share-url">
          Campaign address
        </label>
        <input id="share-url" type="text" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        {base && (
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void copy(url)}>
            Copy link
          </button>
        )}
      </div>
      <p className="muted small" role="status">
        {copied === "yes" ? "Link copied." : copied === "no" ? "Copying is blocked here: select the address and copy it." : ""}
      </p>
      <ul className="share-links">
        {shareLinks(url, title).map((l) => (
          <li key={l.service}>
            <a href={l.href} target="_blank" rel="noopener noreferrer" data-service={l.service}>
              {l.label}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
