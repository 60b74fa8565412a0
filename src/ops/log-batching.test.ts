// The log file is written in batches (decision 0030): nothing is lost when the server closes
// (flushLog) or when the process exits on its own, fatal exits and uncaught exceptions included.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, flushLog, LOG_BATCH_BYTES, logDestination } from './log.ts';

/** Fewer bytes than one batch: without a flush none of these would be written yet. */
const LINES = 5;
/** The repository, where `--import tsx` resolves. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function linesOf(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('batched log writes', () => {
  it('writes every buffered line on flushLog', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-log-batch-'));
    try {
      const path = join(dir, 'malipo.log');
      const log = createLogger({ destination: logDestination(path) });
      for (let i = 0; i < LINES; i++) log.info({ i }, 'line');
      await flushLog(log);
      const lines = linesOf(path);
      assert.deepEqual(
        lines.map((line) => line.i),
        [0, 1, 2, 3, 4],
      );
      assert.ok(readFileSync(path).length < LOG_BATCH_BYTES);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const endings = [
    { ending: 'process.exit(70)', status: 70 },
    { ending: 'throw new Error("boom")', status: 1 },
  ];
  for (const { ending, status } of endings) {
    it(`keeps the last lines when the process ends with ${ending}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'malipo-log-batch-'));
      try {
        const path = join(dir, 'malipo.log');
        const script = join(dir, 'run.ts');
        const logModule = fileURLToPath(new URL('./log.ts', import.meta.url));
        // Lines are written once the file is open (SonicBoom opens it asynchronously).
        writeFileSync(
          script,
          `import { createLogger, logDestination } from ${JSON.stringify(logModule)};\n` +
            `const destination = logDestination(${JSON.stringify(path)});\n` +
            `const log = createLogger({ destination });\n` +
            `destination.once('ready', () => {\n` +
            `  for (let i = 0; i < ${LINES}; i++) log.info({ i }, 'line');\n` +
            `  log.fatal('stopping');\n` +
            `  ${ending};\n` +
            `});\n`,
        );
        const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
          cwd: ROOT,
          encoding: 'utf8',
        });
        assert.equal(run.status, status, run.stderr);
        const lines = linesOf(path);
        assert.deepEqual(
          lines.map((line) => line.msg),
          ['line', 'line', 'line', 'line', 'line', 'stopping'],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
