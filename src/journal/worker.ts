// The writer's thread: opens the journal, recovers, then serves submissions and reads from the
// ledger client over the worker message port. Keeping the writer here means an fsync never
// stalls the HTTP event loop. Submissions go through GroupCommit, which makes every batch
// waiting on the port one durable commit (decision 0019); reads go straight to the writer.

import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BATCH_EVENTS_MAX } from '../ledger/model.ts';
import { attachFeed } from './feed.ts';
import { COMMIT_INTERVAL_MS_DEFAULT, GroupCommit } from './group-commit.ts';
import { createWriterMetrics, type WriterMetrics } from './metrics.ts';
import { openJournal } from './open.ts';
import type {
  FromWorker,
  ReadRequest,
  ToWorker,
  WireBatchResult,
  WorkerConfig,
} from './protocol.ts';
import { type BatchResult, Writer } from './writer.ts';

const TICK_INTERVAL_MS_DEFAULT = 200;

/** This thread's Linux TID ('/proc/thread-self' → '<pid>/task/<tid>'); undefined elsewhere. */
const OS_THREAD_ID = linuxThreadId();

function linuxThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('journal worker: must run in a worker thread');
  const config = workerData as WorkerConfig;
  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  let writer: Writer;
  const metrics = config.metrics === true ? createWriterMetrics() : null;
  try {
    const journal = await openJournal(config.journal);
    writer = await Writer.open({
      journal: metrics === null ? journal : metrics.meter(journal),
      checkpointAccountsPerBatch: config.checkpointAccountsPerBatch,
      checkInvariantsEveryBatch: config.checkInvariantsEveryBatch,
      resolvedPendingsMax: config.resolvedPendingsMax,
    });
  } catch (error) {
    send({ type: 'fatal', message: `recovery failed: ${(error as Error).message}` });
    return;
  }
  const fatal = (error: unknown) => {
    send({ type: 'fatal', message: (error as Error).message });
    clearInterval(ticker);
    group.stop();
    port.close();
  };
  const group = new GroupCommit({
    submit: (ops) => writer.submit(ops),
    committed: (ids, result) => {
      const wire = toWire(result);
      send({ type: 'submitted', ids: [...ids], result: wire }, buffersOf(wire));
    },
    failed: fatal,
    eventsMax: Math.min(config.batchEventsMax ?? BATCH_EVENTS_MAX, BATCH_EVENTS_MAX),
    intervalMs: config.commitIntervalMs ?? commitWindowFromEnv() ?? COMMIT_INTERVAL_MS_DEFAULT,
  });
  const ticker = setInterval(
    () => writer.tick().catch(fatal),
    config.tickIntervalMs ?? TICK_INTERVAL_MS_DEFAULT,
  );
  const handle = (message: ToWorker): void => {
    if (message.type === 'many') {
      for (const one of message.messages) handle(one);
    } else if (message.type === 'submit') {
      group.add(message.id, message.ops, message.overlapping);
    } else if (message.type === 'feed') {
      attachFeed(writer, message.port, message.streams);
    } else if (message.type === 'read') {
      read(writer, message.request, metrics).then(
        (value) => send({ type: 'read', id: message.id, value }),
        (error: Error) => send({ type: 'error', id: message.id, message: error.message }),
      );
    } else {
      clearInterval(ticker);
      // The client sends 'close' once every submission is answered; settle() is for certainty.
      group
        .settle()
        .then(() => writer.close())
        .then(() => {
          send({ type: 'closed', id: message.id });
          port.close();
        }, fatal);
    }
  };
  port.on('message', handle);
  send({ type: 'ready' });
}

/**
 * MALIPO_COMMIT_WINDOW_MS: the group commit's window for this process (decision 0029), for an
 * operator who trades answer latency against fsyncs, and for measuring that trade.
 */
function commitWindowFromEnv(): number | undefined {
  const raw = process.env.MALIPO_COMMIT_WINDOW_MS;
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`MALIPO_COMMIT_WINDOW_MS=${raw}: not ms ≥ 0`);
  return ms;
}

function toWire(result: BatchResult): WireBatchResult {
  return {
    transferCodes: result.transfers.codes,
    transferTimestamps: result.transfers.timestamps,
    transferAmounts: result.transfers.amounts,
    accountCodes: result.accounts,
    offsets: result.offsets,
  };
}

function buffersOf(wire: WireBatchResult): ArrayBuffer[] {
  return [
    wire.transferCodes.buffer,
    wire.transferTimestamps.buffer,
    wire.transferAmounts.buffer,
    wire.accountCodes.buffer,
    wire.offsets.buffer,
  ] as ArrayBuffer[];
}

function read(
  writer: Writer,
  request: ReadRequest,
  metrics: WriterMetrics | null,
): Promise<unknown> {
  switch (request.kind) {
    case 'lookupAccounts':
      return writer.lookupAccounts(request.ids);
    case 'lookupTransfers':
      return writer.lookupTransfers(request.ids);
    case 'accountTransfers':
      return writer.accountTransfers(request);
    case 'balanceAt':
      return writer.balanceAt(request.accountId, request.timestamp);
    case 'readRecords':
      return writer.readRecords(request.stream, request.afterSeq, request.limit);
    case 'latestRecords':
      return writer.latestRecords(request.stream, request.limit);
    case 'scanTransfers':
      return writer.scanTransfers(request.afterTimestamp, request.limit);
    case 'scanExpiries':
      return writer.scanExpiries(request.afterTimestamp, request.limit);
    case 'stats':
      return writer.getStats().then((stats) => ({ ...stats, osThreadId: OS_THREAD_ID }));
    case 'metrics':
      return metrics === null ? Promise.resolve([]) : metrics.json();
  }
}

main().catch((error) => {
  parentPort?.postMessage({
    type: 'fatal',
    message: (error as Error).message,
  } satisfies FromWorker);
});
