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
  const lines = clean(String(message ?? "")).split("\n");
  const frame = (l) => /^\s*at /.test(l);
  const text = lines.filter((l) => l.trim() && !frame(l)).slice(0, 5);
  const own = lines.find((l) => frame(l) && !l.includes("node_modules") && !l.includes("node:"));
  return [...text, ...(own ? [own.trim()] : [])].map((l) => `      ${l.slice(0, 300)}`).join("\n");
}

/**
 * Text from a report without terminal control sequences (colours, cursor moves, titles) or other control
 * characters, so that an error's text cannot redraw or fake the lines around it in CI's log.
 */
function clean(text) {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the sequences being removed
      .replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?/g, "")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the sequences being removed
      .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, "")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
  );
}

/** How many failures of one report are named; the rest are counted. */
const MAX_NAMED = 20;

/** Each failed test of a vitest or Playwright JSON report: "file › test" and its error's first lines. */
function failures(report) {
  const out = [];
  const list = (x) => (Array.isArray(x) ? x.filter(Boolean) : []);
  if ("numPassedTests" in report) {
    for (const file of list(report.testResults)) {
      const name = typeof file.name === "string" ? path.relative(process.cwd(), file.name) : "(a file without a name)";
      const failedTests = list(file.assertionResults).filter((t) => t.status === "failed");
      for (const t of failedTests) out.push([`${name} › ${t.fullName}`, list(t.failureMessages)[0]]);
      if (file.status === "failed" && failedTests.length === 0) out.push([name, file.message]);
    }
    return out;
  }
  // Playwright's suites: a file, then its describe blocks; their titles lead the test's.
  const walk = (suite, titles) => {
    for (const spec of list(suite.specs)) {
      for (const t of list(spec.tests)) {
        if (t.status !== "unexpected") continue;
        const last = list(t.results).at(-1);
        out.push([[...titles, spec.title].join(" › "), last?.error?.message ?? list(last?.errors)[0]?.message]);
      }
    }
    for (const child of list(suite.suites)) walk(child, [...titles, child.title]);
  };
  for (const suite of list(report.suites)) walk(suite, [suite.file ?? suite.title]);
  for (const e of list(report.errors)) out.push(["(Playwright)", e.message]);
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
  // The suite's exit status, when CI kept it beside the report (.ci/run): a runner that exits non-zero with no failed
  // test (vitest's unhandled errors, a crash after the report was written) has failed all the same.
  let exit = 0;
  try {
    exit = Number(readFileSync(file.replace(/\.json$/, ".exit"), "utf8").trim()) || 0;
  } catch {}
  const unexplained = exit !== 0 && f === 0;
  if (unexplained) f = 1;
  if (!lineOnly) {
    console.log(`${file}: ${p} passed, ${f} failed, ${s} skipped`);
    if (unexplained)
      console.log(`  FAILED the runner exited ${exit} with no failed test (an unhandled error?): see its output above`);
    try {
      const all = failures(report);
      for (const [name, message] of all.slice(0, MAX_NAMED)) console.log(`  FAILED ${clean(String(name))}\n${excerpt(message)}`);
      if (all.length > MAX_NAMED) console.log(`  … and ${all.length - MAX_NAMED} more failed`);
    } catch (err) {
      console.log(`  (could not list the failures of ${file}: ${clean(String(err))})`);
    }
  }
  passed += p;
  failed += f;
  skipped += s;
}
if (lineOnly) console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
