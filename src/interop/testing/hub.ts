// A recording stand-in for the Mojaloop hub's callback side, for tests: a real HTTP server on
// loopback that accepts every FSPIOP PUT callback with 200 and keeps it for the test to inspect.
// It validates nothing itself: the tests check what it recorded and, when `validator` is given
// (the Mojaloop Testing Toolkit's inbound URL), it forwards each callback there and records the
// toolkit's verdict against the FSPIOP API definition.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Callback {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The validator's answer (HTTP status and body), when a validator is configured. */
  validation?: { status: number; body: string };
}

export interface RecordingHub {
  url: string;
  callbacks: Callback[];
  /** The next callback to `path` (exact) after `afterIndex` callbacks, waiting for it if needed. */
  next(path: string, afterIndex?: number): Promise<Callback>;
  close(): Promise<void>;
}

const WAIT_MS_MAX = 20_000;
const BODY_BYTES_MAX = 1 << 20;

export async function startRecordingHub(validator?: string): Promise<RecordingHub> {
  const callbacks: Callback[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    request.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const callback: Callback = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      };
      if (validator !== undefined) callback.validation = await forward(validator, callback, text);
      callbacks.push(callback);
      response.writeHead(200).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    callbacks,
    next(path, afterIndex = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = callbacks.slice(afterIndex).find((c) => c.path === path);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no callback to ${path} within ${WAIT_MS_MAX} ms`));
        }, WAIT_MS_MAX);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const FORWARDED_HEADERS = ['content-type', 'accept', 'date', 'fspiop-source', 'fspiop-destination'];

async function forward(
  validator: string,
  callback: Callback,
  text: string,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = callback.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const response = await fetch(`${validator}${callback.path}`, {
    method: callback.method,
    headers,
    body: text,
    signal: AbortSignal.timeout(WAIT_MS_MAX),
  });
  return { status: response.status, body: await response.text() };
}
