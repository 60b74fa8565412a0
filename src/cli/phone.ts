// `malipo phone 0712345678`: a handset in the terminal. It plays the USSD gateway's part against
// a running server: dials with an empty text, shows each screen, appends what is typed to the
// session's '*'-joined text and posts it to /ussd, until the server answers END. Like a handset
// it also shows the SMS sent to its number (confirmations, a step-up's one-time code), read from
// the server's SMS file (the embedded default gateway, `<data>/sms.jsonl`).

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_SERVICE_CODE = '*334#';
/** A server that does not answer within this is treated as a dropped session, as telcos do. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Screens in one session before the simulator gives up (a real session times out far sooner). */
export const SESSION_STEPS_MAX = 100;
/** Replies longer than this are cut: a handset shows a screen, not a document. */
const REPLY_CHARS_MAX = 4096;
/** Where `npm start` writes SMS by default, relative to where it runs. */
export const DEFAULT_SMS_FILE = 'data/sms.jsonl';
/** How often the SMS file is checked while the handset waits for a key. */
export const SMS_POLL_MS = 250;
/** Most bytes of new SMS lines read at once; a busy server's backlog is skipped beyond this. */
const SMS_READ_BYTES_MAX = 256 * 1024;
/** Digits that identify a subscriber whatever the prefix ('0712…', '254712…', '+254712…'). */
const SUBSCRIBER_DIGITS = 9;
const RULE = '-'.repeat(32);

export interface PhoneOptions {
  msisdn: string;
  url?: string;
  serviceCode?: string;
  networkCode?: string;
  /** The server's SMS file; messages to this number are shown as they arrive. */
  smsFile?: string;
  input: Readable;
  output: Writable;
}

function isTerminal(stream: Readable): boolean {
  return (stream as Readable & { isTTY?: boolean }).isTTY === true;
}

interface Screen {
  end: boolean;
  text: string;
}

/** Runs sessions until the input ends or the customer declines to dial again. */
export async function runPhone(options: PhoneOptions): Promise<void> {
  const lines = createInterface({ input: options.input, terminal: false });
  // The iterator buffers lines that arrive before we ask, which piped (scripted) input needs.
  const reader = lines[Symbol.asyncIterator]();
  const inbox = options.smsFile === undefined ? null : await SmsInbox.open(options.smsFile);
  const show = (sms: string[]) => {
    for (const text of sms) options.output.write(`SMS from M-PESA: ${text}\n`);
  };
  const ask = async (question: string): Promise<string | null> => {
    if (inbox !== null) show(await inbox.newFor(options.msisdn));
    options.output.write(question);
    // While waiting for a key, an SMS (a one-time code) may arrive, as on a handset.
    const poll =
      inbox === null
        ? null
        : setInterval(() => void inbox.newFor(options.msisdn).then(show), SMS_POLL_MS);
    const next = await reader.next().finally(() => {
      if (poll !== null) clearInterval(poll);
    });
    if (next.done === true) return null;
    const line = String(next.value);
    // A terminal echoes what is typed; piped input does not, so echo it to keep the transcript readable.
    if (!isTerminal(options.input)) options.output.write(`${line}\n`);
    return line;
  };
  try {
    for (;;) {
      const ended = await runSession(options, ask);
      if (!ended) return;
      const again = await ask('Dial again? (y/n) ');
      if (again === null || !/^y(es)?$/i.test(again.trim())) return;
    }
  } finally {
    lines.close();
  }
}

/**
 * The SMS file read from where it ended: each call returns the texts appended since, addressed
 * to the number. Messages already in the file when the handset starts are not shown.
 */
export class SmsInbox {
  private constructor(
    private readonly path: string,
    private offset: number,
  ) {}

  static async open(path: string): Promise<SmsInbox> {
    return new SmsInbox(path, await sizeOf(path));
  }

  async newFor(msisdn: string): Promise<string[]> {
    const size = await sizeOf(this.path);
    if (size < this.offset) this.offset = 0; // the server rotated the file
    if (size === this.offset) return [];
    const start = Math.max(this.offset, size - SMS_READ_BYTES_MAX);
    const handle = await openFile(this.path, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    // Only whole lines: a line still being written is read on the next call.
    const end = text.lastIndexOf('\n') + 1;
    this.offset = start + Buffer.byteLength(text.slice(0, end));
    const mine = subscriber(msisdn);
    return text
      .slice(0, end)
      .split('\n')
      .flatMap((line) => {
        try {
          const sms = JSON.parse(line) as { to?: unknown; text?: unknown };
          return typeof sms.text === 'string' && subscriber(String(sms.to)) === mine
            ? [sms.text]
            : [];
        } catch {
          return [];
        }
      });
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    const handle = await openFile(path, 'r');
    try {
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  } catch {
    return 0; // not written yet: the server sends its first SMS later
  }
}

function subscriber(msisdn: string): string {
  return msisdn.replace(/\D/g, '').slice(-SUBSCRIBER_DIGITS);
}

/** One session from dialling to END; false when the input ran out mid-session. */
async function runSession(
  options: PhoneOptions,
  ask: (question: string) => Promise<string | null>,
): Promise<boolean> {
  const url = `${(options.url ?? DEFAULT_URL).replace(/\/+$/, '')}/ussd`;
  const code = options.serviceCode ?? DEFAULT_SERVICE_CODE;
  const sessionId = `sim-${randomUUID()}`;
  const inputs: string[] = [];
  options.output.write(`Dialling ${code} from ${options.msisdn}\n`);
  for (let step = 0; step < SESSION_STEPS_MAX; step++) {
    const screen = await post(url, {
      sessionId,
      serviceCode: code,
      phoneNumber: options.msisdn,
      networkCode: options.networkCode ?? 'Safaricom',
      text: inputs.join('*'),
    });
    options.output.write(`${RULE}\n${screen.text}\n${RULE}\n`);
    if (screen.end) return true;
    const typed = await ask('> ');
    if (typed === null) return false;
    inputs.push(typed.trim());
  }
  options.output.write('Session too long; hanging up\n');
  return true;
}

async function post(url: string, fields: Record<string, string>): Promise<Screen> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return { end: true, text: `Connection problem: ${(error as Error).message}` };
  }
  const body = (await response.text()).slice(0, REPLY_CHARS_MAX);
  // A gateway ends the session on any answer that is not a 200 with CON or END; so do we.
  if (response.status !== 200)
    return { end: true, text: `Connection problem (HTTP ${response.status})` };
  if (body.startsWith('CON ')) return { end: false, text: body.slice(4) };
  if (body.startsWith('END ')) return { end: true, text: body.slice(4) };
  return { end: true, text: `Connection problem: unexpected reply '${body.slice(0, 40)}'` };
}

export const PHONE_USAGE = `usage: malipo phone <msisdn> [--url ${DEFAULT_URL}] [--code '${DEFAULT_SERVICE_CODE}'] [--sms ${DEFAULT_SMS_FILE}]`;

/** The `malipo phone` command: parses its arguments and runs the handset on this terminal. */
export async function phoneCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      code: { type: 'string' },
      sms: { type: 'string' },
    },
  });
  const [msisdn] = positionals;
  if (msisdn === undefined || positionals.length !== 1) {
    console.error(PHONE_USAGE);
    process.exitCode = 2;
    return;
  }
  await runPhone({
    msisdn,
    url: values.url,
    serviceCode: values.code,
    // The server started here with the default data folder writes its SMS there.
    smsFile: values.sms ?? (existsSync(DEFAULT_SMS_FILE) ? DEFAULT_SMS_FILE : undefined),
    input: process.stdin,
    output: process.stdout,
  });
}
