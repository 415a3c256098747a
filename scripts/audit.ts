/**
 * `npm run audit:deps`: `npm audit` at high and critical severity, failing on any advisory not excepted in
 * `.ci/audit-exceptions.json` (each exception names the advisory and package, says why it does not reach
 * us, and expires). Run by CI. When npm's advisory service cannot be reached (an offline or filtered
 * registry: it answers POST with 405 on some networks) it says so loudly and exits 0, unless
 * AUDIT_REQUIRED=true, because a network we do not control must not decide whether code lands.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { type AuditException, auditVerdict, type NpmAuditReport } from "@/lib/security/npm-audit";

const exceptions = JSON.parse(readFileSync(".ci/audit-exceptions.json", "utf8")) as AuditException[];
const run = spawnSync("npm", ["audit", "--json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
// npm prints either a report (with `vulnerabilities`) or, when the service failed, an error object.
let report: NpmAuditReport & { message?: string; error?: { summary?: string } };
try {
  report = JSON.parse(run.stdout);
} catch {
  report = { message: (run.stderr || run.stdout).trim().split("\n").at(-1) };
}
if (!report.vulnerabilities) {
  const why = report.message ?? report.error?.summary ?? "no report";
  console.log(`[audit] NOT CHECKED: npm's advisory service could not be reached (${why})`);
  process.exit(process.env.AUDIT_REQUIRED === "true" ? 1 : 0);
}
const today = new Date().toISOString().slice(0, 10);
const v = auditVerdict(report, exceptions, today);
for (const e of v.invalidExceptions) console.log(`[audit] exception ${e.advisory} (${e.package}) is expired or unjustified`);
for (const f of v.excepted) console.log(`[audit] excepted: ${f.severity} ${f.advisory} in ${f.package}: ${f.title}`);
for (const f of v.unexcepted) console.log(`[audit] FAIL: ${f.severity} ${f.advisory} in ${f.package}: ${f.title}`);
console.log(`[audit] ${v.unexcepted.length} high/critical advisories without an exception, ${v.excepted.length} excepted`);
process.exit(v.unexcepted.length === 0 ? 0 : 1);
