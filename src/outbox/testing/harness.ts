// Test parts for the outbox: a real ledger on a temp SQLite journal to append records to, a state
// file beside it, a manual clock, and a bounded wait so that no test can hang.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerClient } from '../../journal/client.ts';
import type { StoredRecord } from '../../journal/journal.ts';
import type { AttemptResult } from '../model.ts';

export interface Harness {
  dir: string;
  journalPath: string;
  stateFile: string;
  ledger: LedgerClient;
  /** Appends `count` records to `stream` (keys `<prefix><i>`) and returns them as stored. */
  append(stream: string, count: number, prefix?: string): Promise<StoredRecord[]>;
  /** Closes the ledger (if open) and removes the folder. */
  close(): Promise<void>;
  reopenLedger(): Promise<LedgerClient>;
}

/** Records per appendRecords call: well inside the ledger's batch limits. */
const APPEND_CHUNK = 100;

export async function openHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-outbox-'));
  const journalPath = join(dir, 'journal.db');
  const open = () => LedgerClient.open({ journal: { kind: 'sqlite', path: journalPath } });
  const harness: Harness = {
    dir,
    journalPath,
    stateFile: join(dir, 'outbox.db'),
    ledger: await open(),
    async append(stream, count, prefix = 'k') {
      const before = await harness.ledger.latestRecords(stream, 1);
      const afterSeq = before[0]?.seq ?? 0;
      for (let start = 0; start < count; start += APPEND_CHUNK) {
        const records = [];
        for (let i = start; i < Math.min(count, start + APPEND_CHUNK); i++)
          records.push({ stream, key: `${prefix}${i}`, body: JSON.stringify({ i }) });
        await harness.ledger.appendRecords(records);
      }
      return harness.ledger.readRecords(stream, afterSeq, count);
    },
    async reopenLedger() {
      harness.ledger = await open();
      return harness.ledger;
    },
    async close() {
      await harness.ledger.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Polls `probe` until it returns something truthy; fails the test after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ManualClock {
  nowMs(): number;
  advanceTo(ms: number): void;
}

export function manualClock(startMs = 1_700_000_000_000): ManualClock {
  let now = startMs;
  return {
    nowMs: () => now,
    advanceTo(ms: number) {
      if (ms < now) throw new Error('a clock does not go back');
      now = ms;
    },
  };
}

export function delivered(extra: Partial<AttemptResult> = {}): AttemptResult {
  return { ok: true, status: 200, latencyMs: 1, retryable: false, responseExcerpt: 'ok', ...extra };
}

export function failed(status: number, retryable: boolean): AttemptResult {
  return { ok: false, status, latencyMs: 1, retryable, error: `HTTP ${status}` };
}

/** Counts calls per seq and the most attempts in flight at once, overall and per endpoint. */
export class CallCounter {
  readonly calls = new Map<number, number>();
  private readonly current = new Map<string, number>();
  private total = 0;
  maxTotal = 0;
  readonly maxPerEndpoint = new Map<string, number>();

  enter(seq: number, endpoint = ''): () => void {
    this.calls.set(seq, (this.calls.get(seq) ?? 0) + 1);
    this.total++;
    this.maxTotal = Math.max(this.maxTotal, this.total);
    const now = (this.current.get(endpoint) ?? 0) + 1;
    this.current.set(endpoint, now);
    this.maxPerEndpoint.set(endpoint, Math.max(this.maxPerEndpoint.get(endpoint) ?? 0, now));
    return () => {
      this.total--;
      this.current.set(endpoint, (this.current.get(endpoint) ?? 1) - 1);
    };
  }
}
