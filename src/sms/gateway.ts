// SMS gateways: where rendered confirmations leave Malipo. The interface is one call per message
// that reports an outcome (never throws for a failed send), so the outbox engine can log it and
// decide on a retry. Two implementations:
// - FileSmsGateway, the embedded default: one JSON line per message in a file in the data folder;
// - HttpSmsGateway, an HTTP sender in the shape of Africa's Talking's bulk SMS API.
// A gateway may be asked to send the same message twice (delivery is at-least-once); `id` is the
// same both times so that whoever can deduplicate, does.

import { type FileHandle, open as openFile, rename, stat } from 'node:fs/promises';
import { cut } from '../outbox/attempt.ts';
import {
  type AttemptResult,
  type Clock,
  type DeliveryContext,
  ERROR_CHARS_MAX,
  RESPONSE_EXCERPT_CHARS_MAX,
} from '../outbox/model.ts';

export interface SmsToSend {
  /** E.164 digits without '+', as everywhere in Malipo. */
  to: string;
  text: string;
  /** Sender id or shortcode shown to the customer. */
  from: string;
  /** Stable across retries of the same message. */
  id: string;
}

export type SmsSendResult = AttemptResult;

/**
 * How a send hears that its attempt was cut short: the outbox attempt's context. `signal` is made
 * on first read (an AbortController per send), so a gateway that can do with onCancel should.
 */
export type SmsSendContext = Pick<DeliveryContext, 'onCancel' | 'signal'>;

/** A send context for a caller that holds an AbortSignal (tools, tests). */
export function sendContextOf(signal: AbortSignal): SmsSendContext {
  return {
    signal,
    onCancel(hook) {
      if (signal.aborted) hook(signal.reason);
      else signal.addEventListener('abort', () => hook(signal.reason), { once: true });
    },
  };
}

export interface SmsGateway {
  /** Names the gateway in the delivery log and keys its concurrency limit. */
  readonly name: string;
  /**
   * Sends worth having in flight at once, when more than the outbox's default per-endpoint limit
   * (the file gateway: its sends wait to share one write and one fsync, so the more, the cheaper).
   */
  readonly concurrencyMax?: number;
  send(message: SmsToSend, context: SmsSendContext): Promise<SmsSendResult>;
  close(): Promise<void>;
}

// ---- the file gateway ----

export interface FileSmsGatewayOptions {
  path: string;
  /** Called with each line once it is durable (e.g. console.log in development). */
  echo?: (line: string) => void;
  clock?: Clock;
  /** Messages waiting for the next write; beyond it a send is refused (and retried later). */
  queueMax?: number;
  /** Lines per write-and-fsync. */
  batchMax?: number;
  /**
   * The least time between the starts of two writes. An idle gateway writes a send at once; under
   * load the sends of this interval share one write and one fsync, so the file costs at most
   * 1000 / flushIntervalMs fsyncs a second however many messages go out. 0: write whenever the
   * previous write is done.
   */
  flushIntervalMs?: number;
  /** At this size the file is renamed to `<path>.1` (replacing an older one) and restarted. */
  rotateBytes?: number;
}

interface QueuedLine {
  line: string;
  startedMs: number;
  resolve: (result: SmsSendResult) => void;
}

const FILE_QUEUE_MAX_DEFAULT = 10_000;
const FILE_BATCH_MAX_DEFAULT = 500;
const FILE_FLUSH_INTERVAL_MS_DEFAULT = 20;
/** Enough sends in flight for a flush interval's worth of messages at a few thousand a second. */
const FILE_CONCURRENCY_MAX = 256;
const FILE_ROTATE_BYTES_DEFAULT = 64 * 1024 * 1024;

/**
 * Appends each message as one JSON line. Sends go out in batches, one write and one fsync each:
 * those that arrive while a write is in progress, or within flushIntervalMs of the previous
 * write's start, share the next one. A send resolves only once its line is on disk, so
 * "delivered" in the outbox means the line survives a crash.
 */
export class FileSmsGateway implements SmsGateway {
  readonly name = 'file';
  readonly concurrencyMax = FILE_CONCURRENCY_MAX;
  private readonly queue: QueuedLine[] = [];
  private handle: FileHandle | null = null;
  private sizeBytes = 0;
  private flushing: Promise<void> | null = null;
  /** The next write, waiting for the flush interval to pass. */
  private timer: NodeJS.Timeout | null = null;
  private lastWriteStartMs = Number.NEGATIVE_INFINITY;
  private writeCount = 0;
  private closed = false;
  private readonly queueMax: number;
  private readonly batchMax: number;
  private readonly rotateBytes: number;
  private readonly flushIntervalMs: number;

  constructor(private readonly options: FileSmsGatewayOptions) {
    this.queueMax = options.queueMax ?? FILE_QUEUE_MAX_DEFAULT;
    this.batchMax = options.batchMax ?? FILE_BATCH_MAX_DEFAULT;
    this.rotateBytes = options.rotateBytes ?? FILE_ROTATE_BYTES_DEFAULT;
    this.flushIntervalMs = options.flushIntervalMs ?? FILE_FLUSH_INTERVAL_MS_DEFAULT;
  }

  send(message: SmsToSend, context: SmsSendContext): Promise<SmsSendResult> {
    const startedMs = performance.now();
    // The hook runs at once if the attempt was already cut; no AbortSignal made per send.
    let cutBeforeWriting = false;
    context.onCancel(() => {
      cutBeforeWriting = true;
    });
    if (cutBeforeWriting) return Promise.resolve(refused('aborted before writing', startedMs));
    if (this.closed) return Promise.resolve(refused('file gateway closed', startedMs));
    if (this.queue.length >= this.queueMax)
      return Promise.resolve(refused(`file gateway queue full (${this.queueMax})`, startedMs));
    const { id, to, from, text } = message;
    const line = JSON.stringify({ id, to, from, text, atMs: this.nowMs() });
    return new Promise((resolve) => {
      this.queue.push({ line, startedMs, resolve });
      this.kick();
    });
  }

  /** Batches written so far, each with one fsync. */
  get writes(): number {
    return this.writeCount;
  }

  async close(): Promise<void> {
    this.closed = true;
    // What is queued is written now, not after the interval.
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      this.startFlush();
    }
    while (this.flushing !== null) await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }

  private nowMs(): number {
    return this.options.clock?.nowMs() ?? Date.now();
  }

  /**
   * Starts a write unless one runs or waits: at once when the previous one started at least
   * flushIntervalMs ago, else when it will have. A send that lands as a write ends re-kicks.
   */
  private kick(): void {
    if (this.flushing !== null || this.timer !== null) return;
    const waitMs = this.lastWriteStartMs + this.flushIntervalMs - performance.now();
    if (waitMs <= 0 || this.closed) {
      this.startFlush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startFlush();
    }, waitMs);
  }

  private startFlush(): void {
    this.lastWriteStartMs = performance.now();
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Writes one batch (what is queued, up to batchMax) with one fsync, then settles its sends. */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.batchMax);
    if (batch.length === 0) return;
    let text = '';
    for (const q of batch) text += `${q.line}\n`;
    try {
      await this.write(text);
    } catch (error) {
      // Disk full or the folder gone: worth retrying once an operator has fixed it.
      await this.reset();
      for (const q of batch)
        q.resolve(refused(`file write failed: ${messageOf(error)}`, q.startedMs));
      return;
    }
    for (const q of batch) {
      this.options.echo?.(q.line);
      q.resolve({ ok: true, latencyMs: elapsedMs(q.startedMs), retryable: false });
    }
    // The lines are durable whatever happens here; a failed rotation just keeps appending.
    if (this.sizeBytes >= this.rotateBytes) await this.rotate().catch(() => {});
  }

  private async write(text: string): Promise<void> {
    if (this.handle === null) {
      this.handle = await openFile(this.options.path, 'a');
      this.sizeBytes = (await stat(this.options.path)).size;
    }
    const bytes = Buffer.from(text, 'utf8');
    await this.handle.write(bytes);
    await this.handle.sync();
    this.writeCount++;
    this.sizeBytes += bytes.length;
  }

  private async rotate(): Promise<void> {
    await this.reset();
    await rename(this.options.path, `${this.options.path}.1`);
  }

  private async reset(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => {});
  }
}

function refused(error: string, startedMs: number): SmsSendResult {
  return { ok: false, latencyMs: elapsedMs(startedMs), error, retryable: true };
}

// ---- the HTTP gateway (Africa's Talking shape) ----

export interface HttpSmsGatewayOptions {
  /** 'https://api.africastalking.com' (or the sandbox's, or a test server's). */
  baseUrl: string;
  username: string;
  apiKey: string;
  /** Each request is aborted after this long, whatever the caller's signal says. */
  timeoutMs?: number;
  /** Name in the delivery log; default 'africastalking'. */
  name?: string;
}

const HTTP_TIMEOUT_MS_DEFAULT = 10_000;
/** Most bytes of a response body read; an SMS API's answer is a few hundred. */
const RESPONSE_BYTES_MAX = 64 * 1024;
/** Recipient status codes meaning the API accepted the message (Processed, Sent, Queued). */
const AT_ACCEPTED = new Set([100, 101, 102]);
/**
 * Recipient status codes worth retrying: InsufficientBalance (until the account is topped up),
 * CouldNotRoute, InternalServerError, GatewayError. The others (InvalidPhoneNumber, blacklisted,
 * DND, invalid sender id, …) will not change on a retry.
 */
const AT_RETRYABLE = new Set([405, 407, 500, 501]);

export class HttpSmsGateway implements SmsGateway {
  readonly name: string;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpSmsGatewayOptions) {
    this.name = options.name ?? 'africastalking';
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/version1/messaging`;
    this.timeoutMs = options.timeoutMs ?? HTTP_TIMEOUT_MS_DEFAULT;
  }

  async send(message: SmsToSend, context: SmsSendContext): Promise<SmsSendResult> {
    const startedMs = performance.now();
    const form = new URLSearchParams({
      username: this.options.username,
      to: internationalFormat(message.to),
      message: message.text,
    });
    if (message.from !== '') form.set('from', message.from);
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: {
          apiKey: this.options.apiKey,
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      const body = await readBounded(response, RESPONSE_BYTES_MAX);
      const retryAfterMs = retryAfterOf(response.headers.get('retry-after'));
      return {
        ...classifyAtResponse(response.status, body, retryAfterMs),
        latencyMs: elapsedMs(startedMs),
      };
    } catch (error) {
      // Network failures, resets and time-outs: the message may or may not have gone; retry.
      return {
        ok: false,
        latencyMs: elapsedMs(startedMs),
        error: cut(`request failed: ${messageOf(error)}`, ERROR_CHARS_MAX),
        retryable: true,
      };
    }
  }

  async close(): Promise<void> {}
}

/**
 * Africa's Talking answers 201 with SMSMessageData.Recipients[], one per number, each with a
 * status and statusCode. 5xx and 429 are the API's own trouble (retry); other 4xx are ours
 * (wrong key, bad request: retrying will not help).
 */
export function classifyAtResponse(
  httpStatus: number,
  body: string,
  retryAfterMs?: number,
): Omit<SmsSendResult, 'latencyMs'> {
  const excerpt = cut(body, RESPONSE_EXCERPT_CHARS_MAX);
  const base = { status: httpStatus, responseExcerpt: excerpt };
  if (httpStatus === 429 || httpStatus >= 500)
    return { ...base, ok: false, retryable: true, retryAfterMs, error: `HTTP ${httpStatus}` };
  if (httpStatus < 200 || httpStatus >= 300)
    return { ...base, ok: false, retryable: false, error: `HTTP ${httpStatus}` };
  const recipient = firstRecipient(body);
  if (recipient === 'unparsable')
    return { ...base, ok: false, retryable: true, error: 'unreadable response from the SMS API' };
  if (recipient === null) {
    // No recipient accepted: the API states why in Message (e.g. "InvalidSenderId").
    return {
      ...base,
      ok: false,
      retryable: false,
      error: `no recipient accepted: ${messageField(body)}`,
    };
  }
  if (AT_ACCEPTED.has(recipient.statusCode)) return { ...base, ok: true, retryable: false };
  return {
    ...base,
    ok: false,
    retryable: AT_RETRYABLE.has(recipient.statusCode),
    error: `${recipient.status} (${recipient.statusCode})`,
  };
}

interface AtRecipient {
  status: string;
  statusCode: number;
}

function firstRecipient(body: string): AtRecipient | null | 'unparsable' {
  try {
    const parsed = JSON.parse(body) as { SMSMessageData?: { Recipients?: unknown } };
    const recipients = parsed.SMSMessageData?.Recipients;
    if (!Array.isArray(recipients)) return 'unparsable';
    const first = recipients[0] as { status?: unknown; statusCode?: unknown } | undefined;
    if (first === undefined) return null;
    const statusCode = Number(first.statusCode);
    if (!Number.isInteger(statusCode)) return 'unparsable';
    return { status: String(first.status ?? ''), statusCode };
  } catch {
    return 'unparsable';
  }
}

function messageField(body: string): string {
  try {
    return String(
      (JSON.parse(body) as { SMSMessageData?: { Message?: unknown } }).SMSMessageData?.Message ??
        '',
    );
  } catch {
    return '';
  }
}

/** Africa's Talking wants '+2547…'; Malipo keeps '2547…'. */
export function internationalFormat(msisdn: string): string {
  return msisdn.startsWith('+') ? msisdn : `+${msisdn}`;
}

/** Retry-After in seconds (the only form SMS APIs use in practice); dates are ignored. */
function retryAfterOf(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** Reads at most `max` bytes of a body and drops the rest, so a runaway answer costs nothing. */
async function readBounded(response: Response, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function elapsedMs(startedMs: number): number {
  return Math.round((performance.now() - startedMs) * 100) / 100;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}${cause}`;
  }
  return String(error);
}
