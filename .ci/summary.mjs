// Sum the JSON reports of vitest and Playwright into "N passed, N failed, N skipped".
// A missing or unreadable report counts as one failure (the suite crashed before reporting).
// Exit status: 0 when nothing failed. With --line, print only the summary line.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const lineOnly = args[0] === "--line";
const files = lineOnly ? args.slice(1) : args;
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    if (!lineOnly) console.log(`${file}: missing or unreadable report, counted as 1 failure`);
    failed += 1;
    continue;
  }
  let p;
  let f;
  let s;
  if ("numPassedTests" in report) {
    p = report.numPassedTests;
    f = report.numFailedTests + (report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? 1 : 0);
    s = report.numPendingTests + report.numTodoTests;
  } else {
    const st = report.stats ?? {};
    p = (st.expected ?? 0) + (st.flaky ?? 0);
    f = (st.unexpected ?? 0) + (report.errors?.length && !st.unexpected ? 1 : 0);
    s = st.skipped ?? 0;
  }
  if (!lineOnly) console.log(`${file}: ${p} passed, ${f} failed, ${s} skipped`);
  passed += p;
  failed += f;
  skipped += s;
}
if (lineOnly) console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
