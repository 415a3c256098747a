"use client";

import { useCopy } from "./useCopy";

/** The freshly created secret, shown once, with a copy button. */
export function NewTokenSecret({ name, token, onDismiss }: { name: string; token: string; onDismiss: () => void }) {
  const { copied, copy } = useCopy();

  return (
    <section className="secret-box" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Your new token “{name}”</h2>
      <p>
        <strong>Copy it now: it won&apos;t be shown again.</strong> Only a fingerprint of it is stored.
      </p>
      <div className="secret-row">
        <code className="secret" data-testid="new-token">
          {token}
        </code>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void copy(token)}>
          {copied === "yes" ? "Copied" : "Copy"}
        </button>
      </div>
      <p className="small" aria-live="polite">
        {copied === "no" ? "Copying failed: select the token and copy it by hand." : ""}
      </p>
      <button type="button" className="btn btn-ghost btn-small" onClick={onDismiss}>
        I have saved it
      </button>
    </section>
  );
}
