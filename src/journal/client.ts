// The ledger client: the async API every other domain uses. It starts the writer in a worker
// thread and auto-batches concurrent submissions: those made in the same turn go as one batch,
// and while `inFlightMax` batches are with the writer new ones queue up here. The writer merges
// every batch waiting on its port into one durable commit (group commit, group-commit.ts). The
// queue is bounded; when it is full a submission is refused at once (backpressure) instead of
// waiting unboundedly.

import { EventEmitter } from 'node:events';
import { type MessagePort, Worker } from 'node:worker_threads';
import {
  type Account,
  type AccountBalance,
  type AccountInput,
  type AccountResult,
  accountResultCodes,
  BATCH_EVENTS_MAX,
  type Transfer,
  type TransferInput,
  type TransferResult,
  transferResultCodes,
} from '../ledger/model.ts';
import type { MetricsJson } from '../metrics/registry.ts';
import type {
  AccountTransfer,
  AccountTransfersQuery,
  JournalRecord,
  ScanResult,
  StoredExpiry,
  StoredRecord,
} from './journal.ts';
import type {
  FromWorker,
  ReadRequest,
  ToWorker,
  WireBatchResult,
  WireOp,
  WorkerConfig,
} from './protocol.ts';
import type { WriterStats } from './writer.ts';

export interface LedgerClientOptions extends WorkerConfig {
  /** Most events in one batch sent to the writer. */
  batchEventsMax?: number;
  /** Most events waiting to be sent; beyond it submissions are refused with LedgerOverloadedError. */
  queueEventsMax?: number;
  /** Batches handed to the writer before the previous ones are answered (pipelining). */
  inFlightMax?: number;
}

export class LedgerOverloadedError extends Error {
  constructor(queued: number) {
    super(`ledger queue full (${queued} events waiting)`);
    this.name = 'LedgerOverloadedError';
  }
}

/** The writer stopped (a failed commit or a failed recovery); the process must restart it. */
export class LedgerStoppedError extends Error {
  constructor(message: string) {
    super(`ledger writer stopped: ${message}`);
    this.name = 'LedgerStoppedError';
  }
}

export interface SubmitOptions {
  /** Rows committed with the transfers, if and only if every one of them is `ok`. */
  records?: JournalRecord[];
}

interface Pending {
  op: WireOp;
  resolve: (result: OpSlice) => void;
  reject: (error: Error) => void;
}

/** One submission's place in a batch result. */
interface OpSlice {
  batch: WireBatchResult;
  offset: number;
  count: number;
}

interface Waiter {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

const QUEUE_EVENTS_DEFAULT = 200_000;
const IN_FLIGHT_DEFAULT = 2;

export class LedgerClient extends EventEmitter {
  private readonly queue: Pending[] = [];
  private queuedEvents = 0;
  private inFlight = 0;
  private turnEndScheduled = false;
  /** Messages for the writer made this turn, sent together when it ends (sendOutgoing). */
  private outgoing: ToWorker[] = [];
  private nextId = 1;
  private stopped: Error | null = null;
  private closing = false;
  private readonly batches = new Map<number, Pending[]>();
  private readonly waiters = new Map<number, Waiter>();
  private readonly batchEventsMax: number;
  private readonly queueEventsMax: number;
  private readonly inFlightMax: number;

  private constructor(
    private readonly worker: Worker,
    options: LedgerClientOptions,
  ) {
    super();
    this.batchEventsMax = Math.min(options.batchEventsMax ?? BATCH_EVENTS_MAX, BATCH_EVENTS_MAX);
    this.queueEventsMax = options.queueEventsMax ?? QUEUE_EVENTS_DEFAULT;
    this.inFlightMax = options.inFlightMax ?? IN_FLIGHT_DEFAULT;
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.stop(error.message));
    worker.on('exit', (code) => this.stop(`worker exited with code ${code}`));
  }

  /** Starts the writer thread; resolves once it has recovered the journal. */
  static async open(options: LedgerClientOptions): Promise<LedgerClient> {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
      workerData: workerConfig(options),
      execArgv: process.execArgv,
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'fatal') reject(new LedgerStoppedError(message.message));
        if (message.type === 'ready' || message.type === 'fatal') worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new LedgerClient(worker, options);
  }

  /** Records, if given, commit only if every account is created or already exists. */
  async createAccounts(
    accounts: AccountInput[],
    options: SubmitOptions = {},
  ): Promise<AccountResult[]> {
    const { batch, offset, count } = await this.enqueue({
      kind: 'accounts',
      events: accounts,
      records: options.records,
    });
    const results: AccountResult[] = new Array(count);
    for (let i = 0; i < count; i++)
      results[i] = { result: accountResultCodes[batch.accountCodes[offset + i]] };
    return results;
  }

  /** One submission: linked chains stay inside it; records commit only if all events are ok. */
  async createTransfers(
    transfers: TransferInput[],
    options: SubmitOptions = {},
  ): Promise<TransferResult[]> {
    const { batch, offset, count } = await this.enqueue({
      kind: 'transfers',
      events: transfers,
      records: options.records,
    });
    const results: TransferResult[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = offset + i;
      results[i] = {
        result: transferResultCodes[batch.transferCodes[at]],
        timestamp: batch.transferTimestamps[at],
        amount: batch.transferAmounts[at],
      };
    }
    return results;
  }

  /** Commits records on their own (durably, in the next batch). */
  async appendRecords(records: JournalRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.enqueue({ kind: 'records', events: [], records });
  }

  lookupAccounts(ids: string[]): Promise<Account[]> {
    return this.read({ kind: 'lookupAccounts', ids });
  }

  lookupTransfers(ids: string[]): Promise<Transfer[]> {
    return this.read({ kind: 'lookupTransfers', ids });
  }

  getAccountTransfers(query: AccountTransfersQuery): Promise<AccountTransfer[]> {
    return this.read({ kind: 'accountTransfers', ...query });
  }

  getBalanceAt(accountId: string, timestamp: number): Promise<AccountBalance | null> {
    return this.read({ kind: 'balanceAt', accountId, timestamp });
  }

  readRecords(stream: string, afterSeq: number, limit: number): Promise<StoredRecord[]> {
    return this.read({ kind: 'readRecords', stream, afterSeq, limit });
  }

  /** The newest records of a stream, newest first. */
  latestRecords(stream: string, limit: number): Promise<StoredRecord[]> {
    return this.read({ kind: 'latestRecords', stream, limit });
  }

  scanTransfers(afterTimestamp: number, limit: number): Promise<ScanResult<Transfer>> {
    return this.read({ kind: 'scanTransfers', afterTimestamp, limit });
  }

  scanExpiries(afterTimestamp: number, limit: number): Promise<ScanResult<StoredExpiry>> {
    return this.read({ kind: 'scanExpiries', afterTimestamp, limit });
  }

  stats(): Promise<WriterStats> {
    return this.read({ kind: 'stats' });
  }

  /** The writer thread's Prometheus metrics as registry JSON (empty unless opened with metrics). */
  metrics(): Promise<MetricsJson> {
    return this.read({ kind: 'metrics' });
  }

  /**
   * Pushes every record of `streams` committed from now on to `port`, and serves its catch-up
   * reads (feed.ts). The port moves to the writer's thread; a later call replaces this feed.
   */
  attachFeed(port: MessagePort, streams: string[]): void {
    if (this.stopped !== null) throw this.stopped;
    this.post({ type: 'feed', port, streams }, [port]);
  }

  /** Commits what is queued, writes a checkpoint and stops the writer. */
  async close(): Promise<void> {
    if (this.stopped !== null || this.closing) return;
    // From here on new work is refused; what is already queued still commits.
    this.closing = true;
    while ((this.queue.length > 0 || this.inFlight > 0) && this.stopped === null) {
      await new Promise((r) => setTimeout(r, 2));
    }
    if (this.stopped === null) {
      const id = this.nextId++;
      await new Promise<void>((resolve, reject) => {
        this.waiters.set(id, { resolve: resolve as (v: never) => void, reject });
        this.post({ type: 'close', id });
      }).catch(() => undefined);
    }
    this.stop('closed');
  }

  private enqueue(op: WireOp): Promise<OpSlice> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    if (this.closing) return Promise.reject(new LedgerStoppedError('closing'));
    // A records-only op carries no events but still takes a slot in the queue.
    const count = weightOf(op);
    if (count === 0) return Promise.resolve({ batch: EMPTY_BATCH, offset: 0, count: 0 });
    if (count > this.batchEventsMax) {
      return Promise.reject(
        new RangeError(`submission of ${count} events exceeds ${this.batchEventsMax}`),
      );
    }
    if (this.queuedEvents + count > this.queueEventsMax) {
      return Promise.reject(new LedgerOverloadedError(this.queuedEvents));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.queuedEvents += count;
      this.scheduleFlush();
    });
  }

  /** Waits a microtask so that submissions made in the same turn travel together. */
  private scheduleFlush(): void {
    if (this.inFlight >= this.inFlightMax) return;
    this.scheduleTurnEnd();
  }

  /**
   * At the end of this turn (a microtask), the turn's submissions become batches and everything
   * for the writer goes as ONE message: each postMessage costs the sender a serialization and a
   * wake-up of the writer's thread whatever it carries (~10 % of the main thread at 750
   * requests/s, one message per read and per batch; decision 0029).
   */
  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    queueMicrotask(() => {
      this.turnEndScheduled = false;
      this.flush();
      this.sendOutgoing();
    });
  }

  private sendOutgoing(): void {
    const messages = this.outgoing;
    if (messages.length === 0) return;
    this.outgoing = [];
    this.worker.postMessage(messages.length === 1 ? messages[0] : { type: 'many', messages });
  }

  private flush(): void {
    while (this.inFlight < this.inFlightMax && this.queue.length > 0) {
      const batch: Pending[] = [];
      let events = 0;
      // Bound the batch by events and by ops, so a flood of records-only ops cannot grow it.
      while (
        this.queue.length > 0 &&
        batch.length < this.batchEventsMax &&
        events + this.queue[0].op.events.length <= this.batchEventsMax
      ) {
        const next = this.queue.shift()!;
        events += next.op.events.length;
        this.queuedEvents -= weightOf(next.op);
        batch.push(next);
      }
      const id = this.nextId++;
      const overlapping = this.inFlight > 0 || batch.length > 1;
      this.batches.set(id, batch);
      this.inFlight++;
      this.outgoing.push({ type: 'submit', id, ops: batch.map((p) => p.op), overlapping });
    }
  }

  private read<T>(request: ReadRequest): Promise<T> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    if (this.closing) return Promise.reject(new LedgerStoppedError('closing'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve: resolve as (v: never) => void, reject });
      this.outgoing.push({ type: 'read', id, request });
      this.scheduleTurnEnd();
    });
  }

  /** Sends at once, after whatever this turn has queued, so the writer sees them in order. */
  private post(message: ToWorker, transfer: MessagePort[] = []): void {
    this.sendOutgoing();
    this.worker.postMessage(message, transfer);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'submitted': {
        // One durable commit may answer several batches: their ops follow each other in order.
        const result = message.result;
        let op = 0;
        for (const id of message.ids) {
          const batch = this.batches.get(id)!;
          this.batches.delete(id);
          this.inFlight--;
          for (const pending of batch) {
            pending.resolve({
              batch: result,
              offset: result.offsets[op++],
              count: pending.op.events.length,
            });
          }
        }
        if (this.queue.length > 0) this.scheduleFlush();
        return;
      }
      case 'read':
      case 'closed':
      case 'error': {
        const waiter = this.waiters.get(message.id);
        this.waiters.delete(message.id);
        if (message.type === 'error') waiter?.reject(new Error(message.message));
        else waiter?.resolve((message.type === 'read' ? message.value : undefined) as never);
        return;
      }
      case 'fatal':
        this.stop(message.message);
        return;
      case 'ready':
        return;
    }
  }

  /** Fails everything outstanding; the owner decides whether to restart (see 'fatal'). */
  /** Fails everything outstanding and releases the thread; 'fatal' unless we were closing. */
  private stop(reason: string): void {
    if (this.stopped !== null) return;
    const error = new LedgerStoppedError(reason);
    this.stopped = error;
    this.inFlight = 0;
    // A writer whose commit failed may still hold connections (PostgreSQL): end the thread.
    void this.worker.terminate();
    for (const batch of this.batches.values()) for (const p of batch) p.reject(error);
    for (const p of this.queue) p.reject(error);
    for (const w of this.waiters.values()) w.reject(error);
    this.batches.clear();
    this.queue.length = 0;
    this.outgoing = [];
    this.waiters.clear();
    if (!this.closing && this.listenerCount('fatal') > 0) this.emit('fatal', error);
  }
}

function workerConfig(options: LedgerClientOptions): WorkerConfig {
  return {
    journal: options.journal,
    checkpointAccountsPerBatch: options.checkpointAccountsPerBatch,
    checkInvariantsEveryBatch: options.checkInvariantsEveryBatch,
    resolvedPendingsMax: options.resolvedPendingsMax,
    tickIntervalMs: options.tickIntervalMs,
    metrics: options.metrics,
    batchEventsMax: options.batchEventsMax,
    commitIntervalMs: options.commitIntervalMs,
  };
}

/** Queue slots an op takes: its events, or one for a records-only op. */
function weightOf(op: WireOp): number {
  return op.kind === 'records' ? 1 : op.events.length;
}

const EMPTY_BATCH: WireBatchResult = {
  transferCodes: new Uint8Array(0),
  transferTimestamps: new Float64Array(0),
  transferAmounts: new Float64Array(0),
  accountCodes: new Uint8Array(0),
  offsets: new Uint32Array(0),
};
