// Messages between the ledger client (any thread) and the writer's worker thread.
// Outcomes travel as typed arrays (transferable, no per-event object cloning).

import type { MessagePort } from 'node:worker_threads';
import type { AccountInput, TransferInput } from '../ledger/model.ts';
import type { JournalRecord } from './journal.ts';

export type JournalConfig =
  | { kind: 'sqlite'; path: string; cacheMiB?: number }
  | { kind: 'postgres'; url: string; poolMax?: number };

export interface WorkerConfig {
  journal: JournalConfig;
  checkpointAccountsPerBatch?: number;
  checkInvariantsEveryBatch?: boolean;
  resolvedPendingsMax?: number;
  /** How often the writer wakes to expire pending transfers and checkpoint when idle. */
  tickIntervalMs?: number;
  /** Keep Prometheus metrics in the writer's thread (off: MALIPO_METRICS=off). */
  metrics?: boolean;
  /** Most events (and ops) in one durable commit; the client's batchEventsMax. */
  batchEventsMax?: number;
  /**
   * Group commit: least time between the starts of two durable commits. Submissions arriving
   * meanwhile share the next commit; an idle writer commits at once (decision 0019).
   */
  commitIntervalMs?: number;
}

export type WireOp =
  | { kind: 'accounts'; events: AccountInput[]; records?: JournalRecord[] }
  | { kind: 'transfers'; events: TransferInput[]; records?: JournalRecord[] }
  | { kind: 'records'; events: []; records: JournalRecord[] };

/** A batch's outcomes: typed arrays, transferred (not copied) across the thread boundary. */
export interface WireBatchResult {
  transferCodes: Uint8Array;
  transferTimestamps: Float64Array;
  transferAmounts: Float64Array;
  accountCodes: Uint8Array;
  /** Per op, where its results start in the transfer or account arrays. */
  offsets: Uint32Array;
}

export type ReadRequest =
  | { kind: 'lookupAccounts'; ids: string[] }
  | { kind: 'lookupTransfers'; ids: string[] }
  | {
      kind: 'accountTransfers';
      accountId: string;
      fromTimestamp?: number;
      toTimestamp?: number;
      limit: number;
      reversed?: boolean;
    }
  | { kind: 'balanceAt'; accountId: string; timestamp: number }
  | { kind: 'readRecords'; stream: string; afterSeq: number; limit: number }
  | { kind: 'latestRecords'; stream: string; limit: number }
  | { kind: 'scanTransfers'; afterTimestamp: number; limit: number }
  | { kind: 'scanExpiries'; afterTimestamp: number; limit: number }
  | { kind: 'stats' }
  | { kind: 'metrics' };

export type ToWorker =
  /**
   * `overlapping`: sent while an earlier batch was unanswered, or carrying several submissions:
   * evidence of concurrent callers, for the group commit's window (decision 0029).
   */
  | { type: 'submit'; id: number; ops: WireOp[]; overlapping: boolean }
  | { type: 'read'; id: number; request: ReadRequest }
  /** Feed the commits of `streams` to `port` (feed.ts); the port is transferred. */
  | { type: 'feed'; port: MessagePort; streams: string[] }
  | { type: 'close'; id: number }
  /** Everything one turn produced, in order: one message, one wake-up (decision 0029). */
  | { type: 'many'; messages: ToWorker[] };

export type FromWorker =
  | { type: 'ready' }
  /** One durable commit answering these submissions; their ops' offsets follow in id order. */
  | { type: 'submitted'; ids: number[]; result: WireBatchResult }
  | { type: 'read'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }
  | { type: 'closed'; id: number }
  | { type: 'fatal'; message: string };
