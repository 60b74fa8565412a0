// The driver's progress line: rate, ok, refused, errors, in flight and how far behind schedule it
// runs. On a terminal the line is rewritten in place; otherwise one line is printed per interval.

import type { Writable } from 'node:stream';

export interface DriverCounters {
  sent: number;
  ok: number;
  refused: number;
  errors: number;
  /** Commands not sent: a reversal whose original never got a receipt. */
  skipped: number;
  /** Asynchronous results (B2C) received by the driver's callback listener. */
  results: number;
  resultsFailed: number;
  inFlight: number;
  /** How late the latest command left against its schedule. */
  lagMs: number;
}

export function newCounters(): DriverCounters {
  return {
    sent: 0,
    ok: 0,
    refused: 0,
    errors: 0,
    skipped: 0,
    results: 0,
    resultsFailed: 0,
    inFlight: 0,
    lagMs: 0,
  };
}

export function progressLine(counters: DriverCounters, elapsedMs: number): string {
  const seconds = Math.max(elapsedMs / 1000, 1e-3);
  const c = counters;
  return (
    `[${seconds.toFixed(0).padStart(4)} s] sent ${c.sent} (${(c.sent / seconds).toFixed(1)}/s) ` +
    `ok ${c.ok} refused ${c.refused} errors ${c.errors} skipped ${c.skipped} ` +
    `in flight ${c.inFlight} lag ${(c.lagMs / 1000).toFixed(1)} s` +
    (c.results + c.resultsFailed > 0 ? ` results ${c.results}/${c.results + c.resultsFailed}` : '')
  );
}

export interface Progress {
  stop(): void;
}

export function startProgress(
  counters: DriverCounters,
  out: Writable & { isTTY?: boolean },
  intervalMs: number,
  startedAtMs: number,
): Progress {
  const tty = out.isTTY === true;
  const timer = setInterval(() => {
    const line = progressLine(counters, Date.now() - startedAtMs);
    out.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      out.write(`${tty ? '\r' : ''}${progressLine(counters, Date.now() - startedAtMs)}\n`);
    },
  };
}
