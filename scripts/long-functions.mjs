#!/usr/bin/env node
// Lists functions longer than the style guide's ~70 lines, longest first, as
// `lines  path:line`. Production code only (tests, test support and the benchmarks left out) unless --all is given; `--max N` changes the bound.
//
//   node scripts/long-functions.mjs [--all] [--max 70] [paths…]   (default paths: src bin)
//
// Biome finds the functions (its noExcessiveLinesPerFunction rule, with a low bound so that every
// candidate is reported with its start and end); the length printed is the physical span from
// the first line to the closing brace, comments and blank lines included, as a reader sees it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const all = args.includes('--all');
const maxAt = args.indexOf('--max');
const max = maxAt >= 0 ? Number(args[maxAt + 1]) : 70;
const paths = args.filter((a, i) => !a.startsWith('--') && i !== maxAt + 1);
/** Biome counts fewer lines than the physical span (it skips some); well below any real bound. */
const CANDIDATE_LINES = 30;

const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
delete config.$schema;
config.linter.rules.complexity = {
  ...config.linter.rules.complexity,
  noExcessiveLinesPerFunction: { level: 'error', options: { maxLines: CANDIDATE_LINES } },
};
const configDir = mkdtempSync(join(tmpdir(), 'malipo-long-functions-'));
writeFileSync(join(configDir, 'biome.json'), JSON.stringify(config));
const run = spawnSync(
  join(root, 'node_modules', '.bin', 'biome'),
  [
    'lint',
    `--config-path=${configDir}`,
    '--only=complexity/noExcessiveLinesPerFunction',
    '--reporter=json',
    '--max-diagnostics=none',
    ...(paths.length > 0 ? paths : ['src', 'bin']),
  ],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
rmSync(configDir, { recursive: true, force: true });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(run.stderr || run.stdout);
  process.exit(2);
}
/** Test code: test files, test support under testing/, suites shared by tests (node:test). */
const isTestCode = (path) =>
  /\.test\.ts$/.test(path) ||
  path.includes('/testing/') ||
  readFileSync(join(root, path), 'utf8').includes("from 'node:test'");
const production = (path) => !path.startsWith('bench/') && !isTestCode(path);
const long = report.diagnostics
  .filter((d) => d.category === 'lint/complexity/noExcessiveLinesPerFunction')
  .map((d) => ({
    path: d.location.path,
    line: d.location.start.line,
    lines: d.location.end.line - d.location.start.line + 1,
  }))
  .filter((f) => f.lines > max && (all || production(f.path)))
  .sort((a, b) => b.lines - a.lines);
for (const f of long) console.log(`${String(f.lines).padStart(5)}  ${f.path}:${f.line}`);
console.log(`${long.length} function(s) over ${max} lines${all ? '' : ' in production code'}`);
