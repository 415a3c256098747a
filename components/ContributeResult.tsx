import Link from "next/link";
import type { Outcome } from "./contribute";

/** The Contribute form's result panel: role="status" for progress and success, role="alert" otherwise. */
export function ContributeResult({ outcome, campaignId }: { outcome: Outcome; campaignId: string }) {
  const polite = outcome.tone === "success" || outcome.tone === "pending";
  return (
    <div className={`result-panel result-${outcome.tone}`} role={polite ? "status" : "alert"} data-testid="contribute-result">
      <p>{outcome.text}</p>
      {outcome.authenticateUrl && (
        <p>
          <a className="btn btn-primary" href={outcome.authenticateUrl}>
            Authenticate your payment
          </a>
        </p>
      )}
      {outcome.signIn && (
        <p>
          <Link href={`/signin?callbackUrl=/campaigns/${campaignId}`}>Sign in</Link>
        </p>
      )}
    </div>
  );
}
