// What every process of the topology is told at start: the resolved configuration and where the
// owner's sockets are. Passed in one environment variable, so a restarted process gets the same.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfig } from '../server/config.ts';

export const RUNTIME_SPEC_ENV = 'MALIPO_RUNTIME_SPEC';
export const CHANNEL_INDEX_ENV = 'MALIPO_CHANNEL_INDEX';
/** Set to '1' by tests only: the owner then ends its delivery worker on SIGUSR2 (owner-main.ts). */
export const TEST_HOOKS_ENV = 'MALIPO_TEST_HOOKS';
/** sun_path is 108 bytes on Linux, 104 on macOS; a longer data folder path uses a temp folder. */
const SOCKET_PATH_CHARS_MAX = 100;

export interface RuntimeSpec {
  readonly config: ServerConfig;
  /** The owner's command socket (channel links). */
  readonly commandSocket: string;
  /** The owner's internal HTTP socket (proxied low-volume routes). */
  readonly httpSocket: string;
}

export function runtimeSpec(config: ServerConfig): RuntimeSpec {
  let folder = config.dataDir;
  if (join(folder, 'owner-http.sock').length > SOCKET_PATH_CHARS_MAX)
    folder = mkdtempSync(join(tmpdir(), 'malipo-'));
  return {
    config,
    commandSocket: join(folder, 'owner-commands.sock'),
    httpSocket: join(folder, 'owner-http.sock'),
  };
}

/** Throws when a topology process was started without its spec (a bug in the supervisor). */
export function runtimeSpecFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeSpec {
  const raw = env[RUNTIME_SPEC_ENV];
  if (raw === undefined) throw new Error(`${RUNTIME_SPEC_ENV} is not set`);
  const spec = JSON.parse(raw) as RuntimeSpec;
  if (typeof spec.commandSocket !== 'string' || typeof spec.config?.dataDir !== 'string')
    throw new Error(`${RUNTIME_SPEC_ENV} is not a runtime spec`);
  return spec;
}
