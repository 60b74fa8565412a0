// The commit feed: the writer's thread pushes every durably committed record of the subscribed
// streams, with its seq, to a consumer's MessagePort right after the commit (the delivery worker,
// src/delivery/). The consumer never reads a live record back; it reads the journal over the same
// port only to catch up from its persisted cursor after a restart.
//
// Order is the guarantee the consumer builds on: pushes happen inside the writer's serial cycle and
// reads are served by that same serial queue, and one port delivers messages in the order they
// were posted. So a read's answer arrives after the push of every record it contains and before the
// push of any record committed after it.

import type { MessagePort } from 'node:worker_threads';
import { type CommittedRecord, parseRecordBalances, type StoredRecord } from './journal.ts';
import type { Writer } from './writer.ts';

/** What the consumer asks over the feed port. */
export type FeedRequest =
  | {
      type: 'read';
      id: number;
      kind: 'readRecords';
      stream: string;
      afterSeq: number;
      limit: number;
    }
  | { type: 'read'; id: number; kind: 'latestRecords'; stream: string; limit: number };

/** What the writer's thread posts on the feed port. */
export type FeedMessage =
  | { type: 'records'; records: StoredRecord[] }
  | { type: 'answer'; id: number; records: StoredRecord[] }
  | { type: 'error'; id: number; message: string };

/**
 * Subscribes `port` to the commits of `streams` and serves its catch-up reads. Replaces any
 * previous feed (a restarted consumer attaches a fresh port); the old port is closed.
 */
export function attachFeed(writer: Writer, port: MessagePort, streams: readonly string[]): void {
  const previous = attached.get(writer);
  attached.set(writer, port);
  previous?.close();
  const wanted = new Set(streams);
  const post = (message: FeedMessage) => port.postMessage(message);
  writer.setFeed((records, seqs, timestamp) => {
    const fed = storedRecords(records, seqs, timestamp, wanted);
    if (fed.length > 0) post({ type: 'records', records: fed });
  });
  port.on('message', (request: FeedRequest) => {
    const read =
      request.kind === 'readRecords'
        ? writer.readRecords(request.stream, request.afterSeq, request.limit)
        : writer.latestRecords(request.stream, request.limit);
    read.then(
      (records) => post({ type: 'answer', id: request.id, records }),
      (error: Error) => post({ type: 'error', id: request.id, message: error.message }),
    );
  });
  // A consumer that went away (its thread ended) stops the pushes, unless it was replaced.
  port.on('close', () => {
    if (attached.get(writer) !== port) return;
    attached.delete(writer);
    writer.setFeed(null);
  });
}

/** The port each writer feeds now. */
const attached = new WeakMap<Writer, MessagePort>();

/** The records of the wanted streams as the journal stored them (what readRecords would give). */
export function storedRecords(
  records: readonly CommittedRecord[],
  seqs: readonly number[],
  timestamp: number,
  wanted: ReadonlySet<string>,
): StoredRecord[] {
  if (seqs.length !== records.length)
    throw new Error(`feed: ${seqs.length} seqs for ${records.length} records`);
  const fed: StoredRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (!wanted.has(r.stream)) continue;
    fed.push({
      seq: seqs[i],
      stream: r.stream,
      key: r.key,
      body: r.body,
      timestamp,
      balances: r.balanceValues !== undefined ? r.balanceValues : parseRecordBalances(r.balances),
    });
  }
  return fed;
}
