// `malipo stk approve <CheckoutRequestID> --pin 1234`, `malipo stk cancel <CheckoutRequestID>`
// and `malipo stk pending <MSISDN>`: answer an M-Pesa Express PIN prompt for a customer, as the
// handset would, on a running server. It uses the operator's admin API, with the admin token the
// server keeps in its data folder.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const STK_USAGE = `usage: malipo stk <command> [options]

commands:
  approve <CheckoutRequestID> --pin PIN   enter the customer's PIN on the prompt
  cancel <CheckoutRequestID>              cancel the prompt (the partner gets result 1032)
  pending <MSISDN>                        show the prompt waiting on a customer's handset

options:
  --url URL      the server (default http://127.0.0.1:8080, or MALIPO_URL)
  --data DIR     the server's data folder, for its admin token (default ./data, or MALIPO_DATA_DIR)
  --token TOKEN  the admin token itself (or MALIPO_ADMIN_TOKEN)
`;

const DEFAULT_URL = 'http://127.0.0.1:8080';
/** A server that does not answer within this is reported as unreachable. */
export const STK_REQUEST_TIMEOUT_MS = 30_000;
/** The most of an answer shown when it is not the JSON we expect. */
const ANSWER_CHARS_SHOWN_MAX = 300;

export interface StkCommandIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: StkCommandIo = {
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
  env: process.env,
};

/** Runs one `malipo stk` command; resolves to the process exit code. */
export async function runStkCommand(args: string[], io: StkCommandIo = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parseStkArgs>;
  try {
    parsed = parseStkArgs(args);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n${STK_USAGE}`);
    return 2;
  }
  const { command, target, values } = parsed;
  const url = (values.url ?? io.env.MALIPO_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  const token =
    values.token ??
    io.env.MALIPO_ADMIN_TOKEN ??
    readAdminToken(values.data ?? io.env.MALIPO_DATA_DIR ?? 'data');
  if (token === null) {
    io.stderr('no admin token: start the server once (it writes data/admin-token) or pass --token');
    return 2;
  }
  if (command === 'approve' && values.pin === undefined) {
    io.stderr('approve needs --pin');
    return 2;
  }
  try {
    return command === 'pending'
      ? await showPending(url, token, target, io)
      : await answer(
          url,
          token,
          target,
          command === 'approve' ? { action: 'approve', pin: values.pin } : { action: 'cancel' },
          io,
        );
  } catch (error) {
    io.stderr(`cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function parseStkArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      pin: { type: 'string' },
      url: { type: 'string' },
      data: { type: 'string' },
      token: { type: 'string' },
    },
  });
  const [command, target] = positionals;
  if (command !== 'approve' && command !== 'cancel' && command !== 'pending') {
    throw new Error(`unknown stk command: ${command ?? '(none)'}`);
  }
  if (target === undefined || positionals.length !== 2)
    throw new Error(`${command} takes exactly one argument`);
  return { command, target, values };
}

function readAdminToken(dataDir: string): string | null {
  const path = join(resolve(dataDir), 'admin-token');
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

async function call(url: string, token: string, init: { method: string; body?: unknown }) {
  const response = await fetch(url, {
    method: init.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(STK_REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: response.status, json, text: text.slice(0, ANSWER_CHARS_SHOWN_MAX) };
}

async function answer(
  url: string,
  token: string,
  checkoutRequestId: string,
  body: { action: 'approve'; pin?: string } | { action: 'cancel' },
  io: StkCommandIo,
): Promise<number> {
  const path = `${url}/daraja/admin/stk/${encodeURIComponent(checkoutRequestId)}`;
  const { status, json, text } = await call(path, token, { method: 'POST', body });
  if (status === 401) {
    io.stderr('the server refused the admin token');
    return 1;
  }
  const outcome = String(json?.status ?? '');
  const lines: Record<string, string> = {
    paid: `Paid. M-PESA receipt ${String(json?.receipt ?? '')}`,
    cancelled: 'Cancelled. The partner is told: 1032 Request cancelled by user',
    failed: `Failed: ${String(json?.resultCode ?? '')} ${String(json?.resultDesc ?? '')} (${String(json?.message ?? '')})`,
    expired: 'The prompt had expired; the partner was told it timed out',
    not_found: `No open prompt ${checkoutRequestId}`,
    in_progress: 'The prompt is being answered already',
    held: `Held for review (receipt ${String(json?.receipt ?? '')}). The partner hears when an analyst decides, or at the hold bound`,
  };
  const line = lines[outcome];
  if (line === undefined) {
    io.stderr(`unexpected answer (HTTP ${status}): ${text}`);
    return 1;
  }
  const done = outcome === 'paid' || outcome === 'cancelled' || outcome === 'held';
  (done ? io.stdout : io.stderr)(line);
  return done ? 0 : 1;
}

async function showPending(
  url: string,
  token: string,
  msisdn: string,
  io: StkCommandIo,
): Promise<number> {
  const path = `${url}/daraja/admin/stk/pending/${encodeURIComponent(msisdn)}`;
  const { status, json, text } = await call(path, token, { method: 'GET' });
  if (status === 404) {
    io.stdout(`No prompt waiting on ${msisdn}`);
    return 0;
  }
  const prompt = json?.prompt as { checkoutRequestId?: string; text?: string } | undefined;
  if (status !== 200 || prompt === undefined) {
    io.stderr(`unexpected answer (HTTP ${status}): ${text}`);
    return 1;
  }
  io.stdout(`${prompt.checkoutRequestId}\n${prompt.text}`);
  return 0;
}
