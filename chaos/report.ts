import type { ChaosSummary } from "./run";

/** The summary a run prints (`npm run chaos`, and the CI run in tests/integration/chaos.test.ts): one row per figure, then each violation. */
export function summaryTable(s: ChaosSummary): string {
  const out: string[] = [];
  const rows: [string, string][] = [];
  for (const [kind, x] of Object.entries(s.operations)) {
    rows.push([`${kind}s`, `${x.planned} planned, ${x.ack} acknowledged, ${x.refused} refused, ${x.noAnswer} unanswered`]);
  }
  rows.push(["retries", String(s.retries)]);
  for (const [label, n] of Object.entries(s.answers)) if (!/^2/.test(label)) rows.push([`answers ${label}`, String(n)]);
  rows.push([
    "kill -9",
    Object.entries(s.kills)
      .map(([k, n]) => `${k} ${n}`)
      .join(", "),
  ]);
  rows.push(["PostgreSQL restarts (immediate)", String(s.restarts)]);
  rows.push([
    "roles exiting by themselves",
    Object.entries(s.unexpectedExits)
      .map(([k, n]) => `${k} ${n}`)
      .join(", "),
  ]);
  rows.push(["webhooks lost by the sandbox", String(s.lostWebhooks)]);
  rows.push([
    "payout runs",
    `${s.payoutRuns.started} started, ${s.payoutRuns.completed} completed, ${s.payoutRuns.killed} killed`,
  ]);
  const byKind = new Map<string, number>();
  for (const v of s.violations) byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + 1);
  rows.push(["violations", s.violations.length === 0 ? "0" : [...byKind].map(([k, n]) => `${k}: ${n}`).join("; ")]);
  const w = Math.max(...rows.map(([k]) => k.length));
  out.push(`\nchaos run, seed ${s.seed}, ${s.seconds} s`);
  for (const [k, v] of rows) out.push(`  ${k.padEnd(w)}  ${v}`);
  for (const v of s.violations.slice(0, 30)) out.push(`VIOLATION ${v.kind}: ${v.detail}`);
  if (s.violations.length > 30) out.push(`… and ${s.violations.length - 30} more`);
  out.push(s.violations.length === 0 ? "no violations" : `${s.violations.length} violations`);
  return out.join("\n");
}
