// The outbox delivery engine's model: what a delivery attempt returns, what the state store keeps
// per message, and the named limits. The messages themselves live in the journal (committed with
// the money); this domain only keeps operational state about getting them out.

import type { StoredRecord } from '../journal/journal.ts';

/** What one delivery attempt came to. Deliverers return it; they do not throw for a failed send. */
export interface AttemptResult {
  ok: boolean;
  /** The receiver's status code (HTTP status, or a gateway's own code), when there was one. */
  status?: number;
  latencyMs: number;
  /** The start of the receiver's answer, for the delivery log; cut to RESPONSE_EXCERPT_CHARS_MAX. */
  responseExcerpt?: string;
  error?: string;
  /** False for answers that will not change on a retry (a 4xx, an invalid number): dead at once. */
  retryable: boolean;
  /** The receiver asked us to wait at least this long (HTTP Retry-After). */
  retryAfterMs?: number;
}

export interface DeliveryContext {
  /**
   * Calls `hook` once if the attempt is cut short (time-out, engine stop); at once if it already
   * was. The cheap way to hear of it: a hook per attempt, no signal.
   */
  onCancel(hook: (reason: Error) => void): void;
  /**
   * Aborted when the attempt is cut short, for fetch and friends. Made on first read (an
   * AbortController per attempt), so deliverers that can use onCancel should.
   */
  readonly signal: AbortSignal;
  /** 1 for the first attempt; keeps counting across replays. */
  attempt: number;
}

/** Turns one committed record into one delivery attempt. */
export type Deliverer = (record: StoredRecord, context: DeliveryContext) => Promise<AttemptResult>;

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'dead';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'delivering',
  'delivered',
  'dead',
];

export interface Clock {
  nowMs(): number;
}

/** A uniform number in [0, 1), as Math.random. */
export type RandomSource = () => number;

export interface BackoffPolicy {
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

/** Where a message goes after an attempt. */
export type NextState =
  | { status: 'delivered' }
  | { status: 'dead' }
  | { status: 'pending'; nextAttemptAtMs: number };

/** One row of the attempts log. */
export interface AttemptLog {
  attempt: number;
  startedAtMs: number;
  /** Null while the attempt runs. */
  finishedAtMs: number | null;
  status: number | null;
  latencyMs: number | null;
  responseExcerpt: string | null;
  error: string | null;
  ok: boolean;
}

/** A message's delivery state, as the delivery log shows it. */
export interface Delivery {
  seq: number;
  stream: string;
  key: string;
  endpoint: string;
  status: DeliveryStatus;
  /** Attempts ever made, across replays. */
  attempts: number;
  /** Attempts made since it was taken or last replayed: what maxAttempts counts. */
  attemptsThisRound: number;
  nextAttemptAtMs: number;
  lastError: string | null;
  takenAtMs: number;
  deliveredAtMs: number | null;
  log: AttemptLog[];
}

export interface DeliveriesQuery {
  status?: DeliveryStatus;
  /** Exact key. Not indexed (decision 0028): the walk by seq is for tools and tests. */
  key?: string;
  limit: number;
  /** Ascending by seq, starting after this seq (default 0). */
  afterSeq?: number;
  /** 'desc' lists newest first, starting before `beforeSeq` if given (the portal's view). */
  order?: 'asc' | 'desc';
  beforeSeq?: number;
}

export interface OutboxStats {
  stream: string;
  counts: Record<DeliveryStatus, number>;
  /** Age of the oldest message taken but not yet delivered or dead; 0 when there is none. */
  oldestPendingAgeMs: number;
  /** Highest seq taken into the state store. */
  cursor: number;
  /** Highest seq of the stream in the journal (null when it could not be read). */
  journalSeq: number | null;
  /** journalSeq − cursor: seqs are journal-wide, so this is a distance, not a message count. */
  lagSeq: number | null;
  inFlight: number;
  running: boolean;
  /** The last failure of the journal tail, if its most recent read failed. */
  tailError: string | null;
}

export type ReplayResult =
  | { ok: true; status: DeliveryStatus }
  | { ok: false; error: 'not_found' | 'in_flight'; message: string };

/** The longest response excerpt and error text kept per attempt in the log. */
export const RESPONSE_EXCERPT_CHARS_MAX = 512;
export const ERROR_CHARS_MAX = 512;
/** Most records read from the journal in one page. */
export const TAIL_PAGE_MAX = 1_000;
/** Most deliveries one log query returns. */
export const DELIVERIES_PAGE_MAX = 500;
/** Most attempt rows returned per delivery in the log (the newest ones). */
export const ATTEMPTS_PER_DELIVERY_MAX = 100;
/** Most messages one replayDead() call puts back. */
export const REPLAY_DEAD_MAX = 10_000;
/** Longest endpoint key (a callback URL's origin fits easily). */
export const ENDPOINT_CHARS_MAX = 256;
