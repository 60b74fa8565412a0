// Structured logs (pino, JSON lines). Every line written inside a request carries its request id
// (reqId) through the mixin. Secrets never reach a log: pino's redact censors the fields where a
// PIN, a password, a consumer secret, a bearer token or a SecurityCredential can appear, and the
// code logs identifiers and outcomes, never request bodies (see log.test.ts, which greps a full
// run's log for each of them).

import { type DestinationStream, type Logger, pino } from 'pino';
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

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LogOptions {
  level?: string;
  /** Where lines go; stdout by default (a file or a test's buffer otherwise). */
  destination?: DestinationStream;
}

/**
 * A file path, or '-' for stdout; written asynchronously (flushed on close). The file is not
 * bounded by us: rotate it with logrotate and send SIGHUP, on which the server reopens it.
 */
export function logDestination(path: string): ReturnType<typeof pino.destination> {
  return path === '-'
    ? pino.destination({ dest: 1, sync: false })
    : pino.destination({ dest: path, sync: false, mkdir: true });
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { process: 'main' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin() {
        const ctx = requestContext.getStore();
        return ctx === undefined ? {} : { reqId: ctx.id };
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
