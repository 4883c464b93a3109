// The closing line of .ci/run, read from vitest's JSON report (vitest.config.ts writes it when
// CI is set): `tests: P passed, F failed[, S skipped][, N files failed to load]`. Exits 1
// when anything failed, when a test file failed outside its tests (at import, or in a hook),
// when vitest itself exited non-zero, when no test ran, or when the report is missing.
// Usage: node .ci/test-summary.mjs REPORT VITEST_EXIT_CODE
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file = 'test-results/vitest.json', vitestExit = '0'] = process.argv.slice(2);

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  const why = e.code === 'ENOENT' ? 'is missing' : `cannot be read (${e.message})`;
  console.log(`tests: no report: ${file} ${why}, so the test run did not finish (vitest exit code ${vitestExit})`);
  process.exit(1);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const failedFiles = report.testResults.filter((f) => f.status === 'failed');
// A file that throws at import has no tests at all; one whose hook threw has tests, none failed.
const loadFailed = failedFiles.filter((f) => f.assertionResults.length === 0);
const hookFailed = failedFiles.filter((f) => f.assertionResults.length > 0 && !f.assertionResults.some((a) => a.status === 'failed'));
for (const f of [...loadFailed, ...hookFailed]) {
  console.log(`failed outside its tests: ${relative(process.cwd(), f.name)}: ${(f.message || 'no message').split('\n')[0]}`);
}

const skipped = report.numPendingTests + report.numTodoTests;
const parts = [`${report.numPassedTests} passed`, `${report.numFailedTests} failed`];
if (skipped > 0) parts.push(`${skipped} skipped`);
if (loadFailed.length > 0) parts.push(`${plural(loadFailed.length, 'file')} failed to load`);
if (hookFailed.length > 0) parts.push(`${plural(hookFailed.length, 'file')} failed in a hook`);
if (report.numTotalTests === 0) parts.push('no test ran');
const explained = report.numFailedTests > 0 || failedFiles.length > 0 || report.numTotalTests === 0;
if (vitestExit !== '0' && !explained) parts.push(`vitest exited with ${vitestExit} (see its errors above)`);
console.log(`tests: ${parts.join(', ')}`);
process.exit(explained || vitestExit !== '0' ? 1 : 0);
