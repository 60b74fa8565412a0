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

  for (const ending of ['process.exit(70)', 'throw new Error("boom")']) {
    it(`keeps the last lines when the process ends with ${ending}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'malipo-log-batch-'));
      try {
        const path = join(dir, 'malipo.log');
        const script = join(dir, 'run.ts');
        const logModule = fileURLToPath(new URL('./log.ts', import.meta.url));
        writeFileSync(
          script,
          `import { createLogger, logDestination } from ${JSON.stringify(logModule)};\n` +
            `const log = createLogger({ destination: logDestination(${JSON.stringify(path)}) });\n` +
            `setTimeout(() => {\n` +
            `  for (let i = 0; i < ${LINES}; i++) log.info({ i }, 'line');\n` +
            `  log.fatal('stopping');\n` +
            `  ${ending};\n` +
            `}, 50);\n`,
        );
        const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
        assert.notEqual(run.status, 0, run.stderr);
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
