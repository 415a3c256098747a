// Sum the JSON reports of vitest and Playwright into "N passed, N failed, N skipped".
// A missing or unreadable report counts as one failure (the suite crashed before reporting).
// Without --line, each failure is named too (its file, its test and the first lines of its error), so that the tail
// of CI's log, which may be all anyone sees of a run, says what failed and not only how many.
// Exit status: 0 when nothing failed. With --line, print only the summary line.
import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The first lines of an error message without terminal colours, indented under its test: the message itself and the
 * first stack frame outside node_modules (the test's own line), not the runner's frames.
 */
function excerpt(message = "") {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character starts a terminal colour code
  const lines = message.replace(/\u001b\[[0-9;]*m/g, "").split("\n");
  const frame = (l) => /^\s*at /.test(l);
  const text = lines.filter((l) => l.trim() && !frame(l)).slice(0, 5);
  const own = lines.find((l) => frame(l) && !l.includes("node_modules"));
  return [...text, ...(own ? [own.trim()] : [])].map((l) => `      ${l.slice(0, 300)}`).join("\n");
}

/** Each failed test of a vitest or Playwright JSON report: "file › test" and its error's first lines. */
function failures(report) {
  const out = [];
  if ("numPassedTests" in report) {
    for (const file of report.testResults ?? []) {
      const failedTests = (file.assertionResults ?? []).filter((t) => t.status === "failed");
      for (const t of failedTests)
        out.push([`${path.relative(process.cwd(), file.name)} › ${t.fullName}`, t.failureMessages?.[0]]);
      if (file.status === "failed" && failedTests.length === 0) out.push([path.relative(process.cwd(), file.name), file.message]);
    }
    return out;
  }
  // Playwright's suites: a file, then its describe blocks; their titles lead the test's.
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status !== "unexpected") continue;
        const last = t.results?.at(-1);
        out.push([[...titles, spec.title].join(" › "), last?.error?.message ?? last?.errors?.[0]?.message]);
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.file ?? suite.title]);
  for (const e of report.errors ?? []) out.push(["(Playwright)", e.message]);
  return out;
}

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
  if (!lineOnly) {
    console.log(`${file}: ${p} passed, ${f} failed, ${s} skipped`);
    for (const [name, message] of failures(report)) console.log(`  FAILED ${name}\n${excerpt(message)}`);
  }
  passed += p;
  failed += f;
  skipped += s;
}
if (lineOnly) console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
