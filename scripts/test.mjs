#!/usr/bin/env node
// Runs the whole suite on Node's built-in test runner, TypeScript through tsx.
// Node 20's `--test` takes no globs, so this script finds the test files itself.
// Arguments narrow the run: `npm test -- ledger` runs only files whose path contains "ledger".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = ['src', 'test', 'bench'];
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));

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

const files = roots
  .flatMap((root) => findTests(root, []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...passThrough, ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, MALIPO_TEST_PG_URL: process.env.MALIPO_TEST_PG_URL ?? server.url },
  },
);
await server?.stop();
process.exit(result.status ?? 1);
