#!/usr/bin/env node
// Runs the whole suite on Node's built-in test runner, TypeScript through tsx.
// Node 20's `--test` takes no globs, so this script finds the test files itself.
// Arguments narrow the run: `npm test -- ledger` runs only files whose path contains "ledger".
//
// `npm test -- --date-matrix` runs the date-sensitive suites (DATE_SENSITIVE_SUITES, narrowed by
// any path arguments) once per instant in DATE_MATRIX_INSTANTS under TZ=UTC and TZ=Africa/Nairobi,
// with the wall clock moved by scripts/fixed-clock.mjs. MALIPO_TEST_NOW=<ISO instant> runs a
// normal selection at one chosen instant. At the end the run lists every skipped test and why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// A file URL: NODE_OPTIONS splits on spaces, which a URL has none of.
const CLOCK_PRELOAD = pathToFileURL(resolve(here, 'fixed-clock.mjs')).href;
const SKIP_REPORTER = resolve(here, 'skip-reporter.mjs');

/**
 * Suites that read today's date through the code under test: receipt date letters, Daraja
 * timestamps, ids and failure placeholders, statements, SMS and USSD dates, daily limits,
 * overdraft fees and hold expiry, registration dates, the forecast calendar, the generated
 * initiator certificate's validity. Chosen by reading which suites run on the real clock (the
 * payments test world and the Daraja test server do) and checked by running all the candidates
 * at these instants; suites on fixed timestamps (ledger, journal, risk model, simulator) are left
 * out to keep the matrix to a few minutes.
 */
const DATE_SENSITIVE_SUITES = [
  'src/cli/phone.test.ts',
  'src/daraja/ids.test.ts',
  'src/daraja/time.test.ts',
  'src/daraja/security-credential.test.ts',
  'src/daraja/platform/stk.test.ts',
  'src/daraja/platform/c2b.test.ts',
  'src/daraja/platform/delivery.test.ts',
  'src/daraja/platform/initiator-apis.test.ts',
  'src/forecast/calendar.test.ts',
  'src/forecast/live.test.ts',
  'src/payments/receipts.test.ts',
  'src/payments/receipt-book.test.ts',
  'src/payments/import.test.ts',
  'src/payments/limits.test.ts',
  'src/payments/review.test.ts',
  'src/payments/service.test.ts',
  'src/sms/dispatcher.test.ts',
  'src/sms/templates.test.ts',
  'src/sms/format.test.ts',
  'src/ussd/menu.test.ts',
];

/**
 * Edges of the calendar, in Nairobi time: under TZ=UTC the first two are still the previous
 * day, and the year end crosses midnight (into a new year letter) while the suites run.
 */
const DATE_MATRIX_INSTANTS = [
  ['month start', '2027-03-01T00:05:00+03:00'],
  ['month end', '2027-04-30T23:30:00+03:00'],
  ['leap day', '2028-02-29T12:00:00+03:00'],
  ['year end', '2026-12-31T23:59:00+03:00'],
];
const DATE_MATRIX_ZONES = ['UTC', 'Africa/Nairobi'];
/**
 * Files run at once in a matrix run. The runner's default on a 2-core machine is one; these
 * suites spend most of their time waiting on loopback servers and callbacks, so two at a time
 * shortens the eight runs without adding CPU work.
 */
const DATE_MATRIX_CONCURRENCY = 2;

const roots = ['src', 'test', 'bench'];
const args = process.argv.slice(2);
const dateMatrix = args.includes('--date-matrix');
const filters = args.filter((a) => !a.startsWith('--'));
const passThrough = args.filter((a) => a.startsWith('--') && a !== '--date-matrix');

function findTests(dir, found) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, found);
    else if (entry.name.endsWith('.test.ts')) found.push(relative('.', path));
  }
  return found;
}

const candidates = dateMatrix
  ? DATE_SENSITIVE_SUITES
  : roots.flatMap((root) => findTests(root, [])).sort();
const files = candidates.filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

/** Runs the files in one node --test process; returns its exit status and the skipped tests. */
function runFiles(pgUrl, extraEnv) {
  const skipDir = mkdtempSync(join(tmpdir(), 'malipo-skips-'));
  const skipFile = join(skipDir, 'skipped.jsonl');
  const env = { ...process.env, MALIPO_TEST_PG_URL: pgUrl, ...extraEnv };
  if (env.MALIPO_TEST_NOW) {
    // One anchor for the whole run, so servers the tests spawn share the tests' timeline.
    env.MALIPO_TEST_NOW_ANCHOR ??= String(Date.now());
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${CLOCK_PRELOAD}`.trim();
  }
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${SKIP_REPORTER}`,
      `--test-reporter-destination=${skipFile}`,
      ...(dateMatrix ? [`--test-concurrency=${DATE_MATRIX_CONCURRENCY}`] : []),
      ...passThrough,
      ...files,
    ],
    { stdio: 'inherit', env },
  );
  let skipped = [];
  try {
    skipped = readFileSync(skipFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    // No skip file: the runner died before reporting; its status says so.
  }
  rmSync(skipDir, { recursive: true, force: true });
  return { status: result.status ?? 1, skipped };
}

function printSkipped(skipped) {
  if (skipped.length === 0) return;
  console.log(`\nSkipped ${skipped.length} test(s); they did not run:`);
  const seen = new Set();
  for (const { file, name, reason } of skipped) {
    const line = `  - ${relative('.', file.replace(/^file:\/\//, ''))}: ${name}${reason ? ` (${reason})` : ''}`;
    if (!seen.has(line)) console.log(line);
    seen.add(line);
  }
}

// One real PostgreSQL server for the whole run (tests create a database each), unless the
// caller already points at one.
let server = null;
if (!process.env.MALIPO_TEST_PG_URL) {
  const { register } = await import('tsx/esm/api');
  register();
  const { startEmbeddedPostgres } = await import('../src/journal/postgres/embedded-server.ts');
  server = await startEmbeddedPostgres();
}
const pgUrl = process.env.MALIPO_TEST_PG_URL ?? server.url;
let status = 0;
if (dateMatrix) {
  const outcomes = [];
  for (const [label, instant] of DATE_MATRIX_INSTANTS) {
    for (const zone of DATE_MATRIX_ZONES) {
      console.log(`\n=== ${label}: MALIPO_TEST_NOW=${instant} TZ=${zone} ===`);
      const run = runFiles(pgUrl, { MALIPO_TEST_NOW: instant, TZ: zone });
      outcomes.push({ label, instant, zone, status: run.status });
      if (run.status !== 0) status = 1;
    }
  }
  console.log(`\nDate matrix (${files.length} suites):`);
  for (const o of outcomes) {
    console.log(
      `  ${o.status === 0 ? 'pass' : 'FAIL'}  ${o.label.padEnd(12)} ${o.instant}  TZ=${o.zone}`,
    );
  }
} else {
  const run = runFiles(pgUrl, {});
  printSkipped(run.skipped);
  status = run.status;
}
await server?.stop();
process.exit(status);
