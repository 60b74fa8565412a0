// One delivery attempt: the deliverer is given an AbortSignal that fires at the time-out or when the
// engine stops, and the attempt ends then even if the deliverer ignores the signal, so a hung
// receiver can hold neither a concurrency slot nor a graceful stop for longer than the time-out.

import type { StoredRecord } from '../journal/journal.ts';
import {
  type AttemptResult,
  type Deliverer,
  ERROR_CHARS_MAX,
  RESPONSE_EXCERPT_CHARS_MAX,
} from './model.ts';

export interface AttemptInput {
  deliver: Deliverer;
  record: StoredRecord;
  attempt: number;
  timeoutMs: number;
  /** The engine's stop signal. */
  stopSignal: AbortSignal;
}

class AttemptTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
  }
}

export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new AttemptTimeout(input.timeoutMs)),
    input.timeoutMs,
  );
  const onStop = () => controller.abort(new Error('aborted: the engine is stopping'));
  if (input.stopSignal.aborted) onStop();
  else input.stopSignal.addEventListener('abort', onStop, { once: true });
  const startedMs = performance.now();
  try {
    const delivered = input.deliver(input.record, {
      signal: controller.signal,
      attempt: input.attempt,
    });
    const result = await Promise.race([delivered, abortedResult(controller.signal)]);
    // A deliverer that answered after the abort (often: fetch rejected with AbortError and the
    // deliverer mapped it) is reported as the abort, so the log says "timed out".
    if (controller.signal.aborted) return failure(controller.signal.reason, startedMs);
    return normalise(result, startedMs);
  } catch (error) {
    // A throwing deliverer is a bug or an environment failure; the message is retried rather than
    // lost, and maxAttempts bounds how often.
    return failure(controller.signal.aborted ? controller.signal.reason : error, startedMs);
  } finally {
    clearTimeout(timer);
    input.stopSignal.removeEventListener('abort', onStop);
  }
}

function abortedResult(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function failure(error: unknown, startedMs: number): AttemptResult {
  return {
    ok: false,
    latencyMs: elapsedMs(startedMs),
    error: cut(error instanceof Error ? error.message : String(error), ERROR_CHARS_MAX),
    retryable: true,
  };
}

function normalise(result: AttemptResult, startedMs: number): AttemptResult {
  const latencyMs =
    Number.isFinite(result.latencyMs) && result.latencyMs >= 0
      ? result.latencyMs
      : elapsedMs(startedMs);
  return {
    ok: result.ok === true,
    status: result.status,
    latencyMs,
    responseExcerpt: cutOptional(result.responseExcerpt, RESPONSE_EXCERPT_CHARS_MAX),
    error: cutOptional(result.error, ERROR_CHARS_MAX),
    retryable: result.retryable === true,
    retryAfterMs: result.retryAfterMs,
  };
}

function elapsedMs(startedMs: number): number {
  return Math.round((performance.now() - startedMs) * 100) / 100;
}

export function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

function cutOptional(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : cut(text, max);
}
