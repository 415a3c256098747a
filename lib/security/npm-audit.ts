/**
 * The dependency audit's verdict (`npm run audit:deps`, run by CI): which high or critical advisories in
 * `npm audit --json`'s report are not covered by a justified, unexpired exception in
 * `.ci/audit-exceptions.json`. Pure, so that the rule is tested without the advisory service.
 */

/** One entry of `.ci/audit-exceptions.json`: an advisory we knowingly ship, why, and until when. */
export interface AuditException {
  /** The advisory's GitHub ID, e.g. "GHSA-xxxx-xxxx-xxxx". */
  advisory: string;
  /** The package it is reported on. */
  package: string;
  /** Why it does not reach us (a sentence a reviewer can check). */
  reason: string;
  /** ISO date (YYYY-MM-DD) after which the exception no longer counts and must be reviewed again. */
  until: string;
}

/** The part of `npm audit --json` (auditReportVersion 2) that the verdict reads. */
export interface NpmAuditReport {
  vulnerabilities?: Record<
    string,
    { name: string; severity: string; via: (string | { source?: number; url?: string; title?: string; severity?: string })[] }
  >;
}

/** A high or critical advisory on a package, as the verdict lists it. */
export interface AuditFinding {
  package: string;
  advisory: string;
  severity: string;
  title: string;
}

export interface AuditVerdict {
  /** Findings with no valid exception: CI fails when this is not empty. */
  unexcepted: AuditFinding[];
  /** Findings covered by an exception. */
  excepted: AuditFinding[];
  /** Exceptions past their `until` date or lacking a reason (they cover nothing). */
  invalidExceptions: AuditException[];
}

const GATING = new Set(["high", "critical"]);

/** The advisory ID at the end of an advisory URL ("https://github.com/advisories/GHSA-…"), or the URL. */
function advisoryId(url: string | undefined, source: number | undefined): string {
  const m = url ? /GHSA-[\w-]+$/i.exec(url) : null;
  return m ? m[0] : (url ?? String(source ?? "unknown"));
}

/**
 * Findings of `report` at `high` or `critical` (npm's own severities), each excepted or not by `exceptions`
 * as of `today` (YYYY-MM-DD). Only direct advisories count (a `via` that names another package is that
 * package's finding, reported under its own name).
 */
export function auditVerdict(report: NpmAuditReport, exceptions: AuditException[], today: string): AuditVerdict {
  const valid = exceptions.filter((e) => e.reason.trim().length > 0 && e.until >= today);
  const invalidExceptions = exceptions.filter((e) => !valid.includes(e));
  const unexcepted: AuditFinding[] = [];
  const excepted: AuditFinding[] = [];
  for (const v of Object.values(report.vulnerabilities ?? {})) {
    for (const via of v.via) {
      if (typeof via === "string") continue;
      const severity = via.severity ?? v.severity;
      if (!GATING.has(severity)) continue;
      const finding = { package: v.name, advisory: advisoryId(via.url, via.source), severity, title: via.title ?? "" };
      const covered = valid.some(
        (e) => e.package === finding.package && e.advisory.toLowerCase() === finding.advisory.toLowerCase(),
      );
      (covered ? excepted : unexcepted).push(finding);
    }
  }
  return { unexcepted, excepted, invalidExceptions };
}
