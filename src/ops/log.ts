// Structured logs (pino, JSON lines). Every line written inside a request carries its request id
// (reqId) through the mixin. Secrets never reach a log: the fields where a PIN, a password, a
// consumer secret, a bearer token or a SecurityCredential can appear are censored (REDACT_PATHS),
// and the code logs identifiers and outcomes, never request bodies (see log.test.ts, which greps a
// full run's log for each of them).
//
// Why not pino's own `redact` with the same paths: a `*.key` path makes pino run its redactor on
// every field of every line, numbers included, which cost ~11 µs a line against ~1 µs without it
// (three lines per payment request). `censorSecrets` below applies exactly those paths (log.test.ts
// compares it with pino's redact on random objects) and copies only what it censors.

import { type DestinationStream, type Logger, pino, stdSerializers } from 'pino';
import { requestContext } from './request-context.ts';

export type { Logger } from 'pino';

/** Field names that may hold a secret anywhere in a logged object (case as the APIs spell them). */
const SECRET_KEYS = [
  'pin',
  'newPin',
  'oldPin',
  'password',
  'Password',
  'passkey',
  'secret',
  'consumerSecret',
  'consumer_secret',
  'SecurityCredential',
  'securityCredential',
  'authorization',
  'token',
  'access_token',
  'apiKey',
  'otp',
  'code',
];

/** Headers censored under `req.headers` (a request object logged whole). */
const SECRET_HEADER_NAMES = ['authorization', 'cookie'];

/** The same rules in pino's redact syntax: what `censorSecrets` implements. */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_HEADER_NAMES.map((header) => `req.headers.${header}`),
];

export const REDACTED = '[redacted]';
const SECRET: ReadonlySet<string> = new Set(SECRET_KEYS);
const SECRET_HEADERS: ReadonlySet<string> = new Set(SECRET_HEADER_NAMES);
const ERROR_KEY = 'err';

type Fields = Record<string, unknown>;

/**
 * The line's fields with REDACT_PATHS censored: a secret key at the top level or one level down
 * (`key`, `*.key`), and `req.headers.authorization` / `.cookie`. Objects holding no secret are
 * returned as they are; one that does is copied, never changed (it belongs to the caller).
 */
export function censorSecrets(fields: Fields): Fields {
  let out: Fields | null = null;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    let censored = value;
    if (SECRET.has(key)) censored = REDACTED;
    else if (typeof value === 'object' && value !== null) censored = censorChild(key, value);
    if (censored !== value) {
      out ??= { ...fields };
      out[key] = censored;
    }
  }
  return out ?? fields;
}

function censorChild(key: string, value: object): unknown {
  if (key === ERROR_KEY) return censorError(value);
  const out = censorKeys(value, SECRET);
  if (key !== 'req') return out;
  const headers = (out as Fields).headers;
  if (typeof headers !== 'object' || headers === null) return out;
  const censoredHeaders = censorKeys(headers, SECRET_HEADERS);
  return censoredHeaders === headers ? out : { ...(out as Fields), headers: censoredHeaders };
}

/** Errors this module serialised (to censor them), which pino's err serializer must pass on. */
const serialisedErrors = new WeakSet<object>();

/** An error is judged as pino will write it (serialised), since that is what reaches the log. */
function censorError(value: object): unknown {
  const written = stdSerializers.err(value as Error) as object;
  const out = censorKeys(written, SECRET);
  if (out === written) return value;
  serialisedErrors.add(out);
  return out;
}

function serializeError(value: unknown): unknown {
  return typeof value === 'object' && value !== null && serialisedErrors.has(value)
    ? value
    : stdSerializers.err(value as Error);
}

/** `value` with its own keys in `secret` censored: itself when it has none, else a copy. */
function censorKeys(value: object, secret: ReadonlySet<string>): object {
  let out: Fields | unknown[] | null = null;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !secret.has(key)) continue;
    out ??= Array.isArray(value) ? [...value] : { ...(value as Fields) };
    (out as Fields)[key] = REDACTED;
  }
  return out ?? value;
}

export interface LogOptions {
  level?: string;
  /** Where lines go; stdout by default (a file or a test's buffer otherwise). */
  destination?: DestinationStream;
}

/**
 * Lines are written in batches of this many bytes, or every LOG_FLUSH_INTERVAL_MS, whichever
 * comes first: one write(2) per ~20 lines instead of one per line (each write was ~2 % of the
 * main thread's CPU at 750 requests/s). An exit (a fatal error, an uncaught exception, SIGTERM)
 * writes what is buffered (pino's exit handler); a SIGKILL loses at most this much (decision 0030).
 */
export const LOG_BATCH_BYTES = 4_096;
export const LOG_FLUSH_INTERVAL_MS = 100;

/**
 * A file path, or '-' for stdout; written asynchronously in batches (flushed on close). The file
 * is not bounded by us: rotate it with logrotate and send SIGHUP, on which the server reopens it.
 */
export function logDestination(path: string): ReturnType<typeof pino.destination> {
  const batching = {
    sync: false,
    minLength: LOG_BATCH_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  };
  return path === '-'
    ? pino.destination({ dest: 1, ...batching })
    : pino.destination({ dest: path, mkdir: true, ...batching });
}

/** Writes what the logger holds and waits until it is on disk (a server's close). */
export function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}

export function createLogger(options: LogOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { process: 'main' },
      formatters: { log: censorSecrets, bindings: censorSecrets },
      serializers: { err: serializeError },
      mixin() {
        const ctx = requestContext.getStore();
        return ctx === undefined ? {} : { reqId: ctx.id };
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  // pino applies the bindings formatter to the root's bindings only; a child's (fastify makes
  // one per request) are censored on the way in. Children inherit this `child` from the root.
  const childOf = logger.child;
  logger.child = function censoredChild(this: Logger, bindings, childOptions) {
    return childOf.call(this, censorSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
