/**
 * Closes `make test`: adds up the check steps (lint, typecheck, CDK checks, Maven build), the
 * vitest results and the Maven Surefire results, prints one line per part and, last, the plain
 * line `N passed, N failed` that CI reads. Exits non-zero when anything failed or is missing.
 *
 * Usage: tsx scripts/test-summary.ts <results-dir>
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Tally {
  passed: number;
  failed: number;
}

const resultsDir = process.argv[2] ?? '.local/test-results';
const parts: Record<string, Tally> = {};
const problems: string[] = [];

// Check steps: one file per step holding "ok" or "failed".
const stepsDir = join(resultsDir, 'steps');
for (const step of existsSync(stepsDir) ? readdirSync(stepsDir).sort() : []) {
  const ok = readFileSync(join(stepsDir, step), 'utf8').trim() === 'ok';
  parts.checks ??= { passed: 0, failed: 0 };
  const tally = parts.checks;
  if (ok) tally.passed++;
  else {
    tally.failed++;
    problems.push(`check failed: ${step}`);
  }
}

// vitest JSON reporter output.
const vitestFile = join(resultsDir, 'vitest.json');
if (existsSync(vitestFile)) {
  const report = JSON.parse(readFileSync(vitestFile, 'utf8')) as {
    testResults: {
      name: string;
      status: string;
      message?: string;
      assertionResults: { status: string; fullName: string }[];
    }[];
  };
  for (const file of report.testResults) {
    const project = file.name.includes('/test/integration/') ? 'integration' : 'unit';
    parts[project] ??= { passed: 0, failed: 0 };
    const tally = parts[project];
    for (const assertion of file.assertionResults) {
      if (assertion.status === 'passed') tally.passed++;
      else {
        tally.failed++;
        problems.push(`${assertion.status}: ${assertion.fullName}`);
      }
    }
    // A file can fail with every test passed (a failing beforeAll/afterAll, an import error): count it.
    if (file.status !== 'passed' && file.assertionResults.every((a) => a.status === 'passed')) {
      tally.failed++;
      problems.push(`test file failed outside its tests: ${file.name}: ${file.message ?? ''}`.slice(0, 400));
    }
  }
} else {
  problems.push(`no vitest report at ${vitestFile}`);
  parts.unit ??= { passed: 0, failed: 0 };
  parts.unit.failed++;
}

// Maven Surefire XML reports (the Flink runner's Java tests).
const surefireDir = 'flink/runner/target/surefire-reports';
for (const file of existsSync(surefireDir)
  ? readdirSync(surefireDir).filter((f) => /^TEST-.*\.xml$/.test(f))
  : []) {
  const head = /<testsuite[^>]*>/.exec(readFileSync(join(surefireDir, file), 'utf8'))?.[0] ?? '';
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
  const bad = attr('failures') + attr('errors') + attr('skipped');
  parts.java ??= { passed: 0, failed: 0 };
  const tally = parts.java;
  tally.passed += attr('tests') - bad;
  tally.failed += bad;
  if (bad > 0) problems.push(`java: ${file} has ${bad} failing or skipped tests`);
}

for (const problem of problems) console.log(`  ✗ ${problem}`);
for (const [name, tally] of Object.entries(parts)) {
  console.log(`${name.padEnd(12)} ${tally.passed} passed, ${tally.failed} failed`);
}
const total = Object.values(parts).reduce(
  (a, t) => ({ passed: a.passed + t.passed, failed: a.failed + t.failed }),
  {
    passed: 0,
    failed: 0,
  },
);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 ? 1 : 0);
