import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from './app.ts';
import { loadConfig } from './config.ts';
import { DataDirLockedError, lockDataDir } from './data-lock.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-lock-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('one server per data folder', () => {
  test('a second lock on the folder is refused, naming the folder, the holder and the fix', () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    try {
      assert.throws(
        () => lockDataDir(dir),
        (error: unknown) =>
          error instanceof DataDirLockedError &&
          error.message.includes(`the data folder ${dir} is in use by another Malipo server`) &&
          error.message.includes(`(pid ${process.pid})`) &&
          error.message.includes('--data DIR'),
      );
    } finally {
      first.release();
    }
    // Released: the folder can be taken again.
    lockDataDir(dir).release();
  });

  test('a process killed while holding the folder leaves no stale lock', async () => {
    const dir = tempDir();
    const lockModule = fileURLToPath(new URL('./data-lock.ts', import.meta.url));
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { lockDataDir } = await import(${JSON.stringify(lockModule)});
         lockDataDir(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [first] = (await once(holder.stdout, 'data')) as [Buffer];
      assert.equal(first.toString().trim(), 'held');
      assert.throws(() => lockDataDir(dir), new RegExp(`pid ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
    }
    await once(holder, 'exit');
    lockDataDir(dir).release();
  });

  test('a second server on a running one’s --data stops before opening anything; after close it starts', async () => {
    const dir = tempDir();
    const config = loadConfig({ dataDir: dir, host: '127.0.0.1', port: 0 }, {});
    const first = await startServer(config);
    try {
      await assert.rejects(startServer(config), DataDirLockedError);
      // The first server is unharmed by the refused one.
      const health = await fetch(`${first.url}/health`);
      assert.equal(health.status, 200);
    } finally {
      await first.close();
    }
    const again = await startServer(config);
    await again.close();
  });
});
