// The `malipo` command as a user runs it: a real node process per invocation.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
/** Each run is killed after this: a command that waited for input or served forever fails. */
const RUN_TIMEOUT_MS = 30_000;
const dirs: string[] = [];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd: ROOT, timeout: RUN_TIMEOUT_MS, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

const malipo = (args: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, ['--import', 'tsx', MAIN, ...args], env);

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-cli-'));
  dirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('malipo <command> --help', { concurrency: 3 }, () => {
  for (const command of ['serve', 'phone', 'forecast', 'stk', 'simulate', 'train']) {
    test(`${command} --help prints its usage and exits 0 without doing anything`, async () => {
      const result = await malipo([command, '--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^usage: malipo ${command}\\b`));
      assert.equal(result.stderr, '');
    });
  }

  test('malipo --help lists the commands and how to get their help', async () => {
    const result = await malipo(['--help']);
    assert.equal(result.code, 0);
    for (const command of ['serve', 'phone', 'forecast', 'stk', 'simulate', 'train']) {
      assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
    assert.match(result.stdout, /malipo <command> --help/);
  });

  test('npm start -- --help shows the serve options', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = await run(npm, ['start', '--silent', '--', '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^usage: malipo serve/m);
    assert.match(result.stdout, /--database-url URL/);
  });

  test('an unknown command is named', async () => {
    const result = await malipo(['serv']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^unknown command: serv\n/);
  });
});

describe('malipo serve refuses bad settings with a message naming the value and the fix', () => {
  test('--port abc', async () => {
    const result = await malipo(['serve', '--port', 'abc', '--data', tempDir()]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /--port "abc" is not a port number: give a whole number from 0 to 65535/,
    );
  });

  test('MALIPO_PORT=99999', async () => {
    const result = await malipo(['serve', '--data', tempDir()], { MALIPO_PORT: '99999' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /MALIPO_PORT "99999" is not a port number/);
  });

  test('a --database-url that is not a URL', async () => {
    const result = await malipo([
      'serve',
      '--data',
      tempDir(),
      '--database-url',
      'localhost:5432/malipo',
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /--database-url "localhost:5432\/malipo" is not a URL: give a PostgreSQL URL such as postgres:\/\//,
    );
  });

  test('a --database-url that is not PostgreSQL, without echoing its password', async () => {
    const result = await malipo([
      'serve',
      '--data',
      tempDir(),
      '--database-url',
      'mysql://malipo:s3cret@127.0.0.1:3306/malipo',
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /--database-url "mysql:\/\/malipo:\*\*\*@127\.0\.0\.1:3306\/malipo" is not PostgreSQL/,
    );
    assert.doesNotMatch(result.stderr, /s3cret/);
  });

  test('a corrupt journal file', async () => {
    const dir = tempDir();
    const journal = join(dir, 'journal.db');
    writeFileSync(
      journal,
      'this is not an SQLite database, it was overwritten by mistake\n'.repeat(100),
    );
    const result = await malipo(['serve', '--port', '0', '--data', dir]);
    assert.equal(result.code, 1);
    assert.ok(
      result.stderr.includes(`the journal ${journal} is damaged or not a Malipo journal`),
      result.stderr,
    );
    assert.match(result.stderr, /restore it from a backup, or move it aside/);
  });
});
