// The journal: the ledger's durable record. One narrow interface, two implementations (SQLite, the
// embedded default; PostgreSQL, production), one contract test suite that both pass.
//
// The commit path only appends (docs/decisions/0002-append-only-journal.md):
// - transfers and expiries, keyed by engine timestamp, each with both accounts' counters right
//   after it ("balance after") and both accounts' chain links (previous entry, sequence number);
// - anchors: every 64th entry of each account, the only per-account index;
// - records: outbox messages and product events, committed with the transfers they belong to;
// - new accounts, and a bounded slice of account counters (an incremental checkpoint).
// Recovery = account counters as stored, then the "balance after" of every row since the oldest
// unwritten change; the latest row touching an account wins. Nothing uncommitted is replayed.

import type { AccountBalance, Balance, PendingStatus, Transfer } from '../ledger/model.ts';
import type {
  AccountSnapshot,
  Anchor,
  CommittedExpiry,
  CommittedTransfer,
  PendingLookup,
} from '../ledger/state.ts';

/** A row committed with a submission: an outbox message or a product event. */
export interface JournalRecord {
  /** Which consumer reads it: 'sms', 'callback', 'txn', … */
  stream: string;
  /** The consumer's key, e.g. a receipt number; not unique. */
  key: string;
  /** Serialized payload (JSON text). */
  body: string;
  /**
   * Accounts whose counters, right after the submission, are stored with the record: an SMS
   * can then state a new balance that is exactly what was committed.
   */
  balancesOf?: string[];
}

/** What the writer hands the journal: the record with the balances it asked for, as JSON. */
export interface CommittedRecord {
  stream: string;
  key: string;
  body: string;
  /** JSON of { accountId: [debitsPending, debitsPosted, creditsPending, creditsPosted] }, or null. */
  balances: string | null;
  /**
   * The same balances as objects, when the writer made them: the delivery feed hands them on
   * without parsing `balances` back (what `parseRecordBalances(balances)` would give).
   */
  balanceValues?: Record<string, Balance> | null;
}

export interface StoredRecord {
  seq: number;
  stream: string;
  key: string;
  body: string;
  timestamp: number;
  balances: Record<string, Balance> | null;
}

export interface JournalBatch {
  accounts: readonly AccountSnapshot[];
  transfers: readonly CommittedTransfer[];
  expiries: readonly CommittedExpiry[];
  anchors: readonly Anchor[];
  records: readonly CommittedRecord[];
  /** Account counters to write with this batch (may be empty). */
  checkpoint: readonly AccountSnapshot[];
  /** Recovery replays rows from here on; written with the checkpoint. */
  recoverFromTs: number;
  /** The latest engine timestamp in the batch. */
  lastTimestamp: number;
}

/** What recovery streams back. */
export interface RecoverySink {
  /** An account as recovered; `dirtySinceTs` > 0 when rows replayed past its stored counters. */
  account(account: AccountSnapshot, dirtySinceTs: number): void;
  openPending(transfer: Transfer): void;
  transferId(id: string, timestamp: number): void;
  lastTimestamp(timestamp: number): void;
}

/** Where an account's chain ends, from the writer's memory: history walks start here. */
export interface AccountHead {
  accountId: string;
  createdTs: number;
  lastEntryTs: number;
}

export interface AccountTransfersQuery {
  accountId: string;
  /** Inclusive bounds, engine microseconds. */
  fromTimestamp?: number;
  toTimestamp?: number;
  limit: number;
  /** Newest first. */
  reversed?: boolean;
}

/** A transfer as seen from one account: with that account's counters right after it. */
export interface AccountTransfer {
  transfer: Transfer;
  balance: Balance;
}

export interface ScanResult<T> {
  rows: T[];
  /** Pass as `afterTimestamp` to continue; equal to the input when nothing more. */
  nextTimestamp: number;
}

export interface StoredExpiry {
  pendingId: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  timestamp: number;
}

/** One entry of an account's chain: a transfer or an expiry, seen from that account. */
export interface ChainEntry {
  timestamp: number;
  /** Null for an expiry. */
  transfer: Transfer | null;
  balance: Balance;
  prevTs: number;
}

export interface Journal {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates or migrates the schema; idempotent. */
  open(): Promise<void>;
  recover(sink: RecoverySink): Promise<void>;
  /**
   * One durable transaction; resolves only once it is durable, with the seqs given to
   * `batch.records`, in order (the delivery feed hands them on without reading them back).
   */
  commit(batch: JournalBatch): Promise<number[]>;
  /** Transfers stored at these engine timestamps (missing ones are skipped). */
  transfersAt(timestamps: readonly number[]): Promise<Transfer[]>;
  /** Pending transfers at these timestamps, with what became of each. */
  pendingsAt(timestamps: readonly number[]): Promise<PendingLookup[]>;
  /** Chain entries of `accountId` at these timestamps (each must touch the account). */
  chainEntries(accountId: string, timestamps: readonly number[]): Promise<ChainEntry[]>;
  /** Timestamp of the account's first anchor strictly after `timestamp`, if any. */
  anchorAfter(accountId: string, timestamp: number): Promise<number | null>;
  /** Transfers in timestamp order, for read models, audits and recomputation. */
  scanTransfers(afterTimestamp: number, limit: number): Promise<ScanResult<Transfer>>;
  scanExpiries(afterTimestamp: number, limit: number): Promise<ScanResult<StoredExpiry>>;
  readRecords(stream: string, afterSeq: number, limit: number): Promise<StoredRecord[]>;
  /** The newest records of a stream, newest first. */
  latestRecords(stream: string, limit: number): Promise<StoredRecord[]>;
  /** Accounts exactly as stored (counters as of their last checkpoint), for audits. */
  storedAccounts(): Promise<AccountSnapshot[]>;
  close(): Promise<void>;
}

/** Upper bound on rows any single read returns. */
export const READ_ROWS_MAX = 10_000;

/** A pending transfer's status from its resolving transfer's flags and whether it expired. */
export function pendingStatusOf(resolutionFlags: number | null, expired: boolean): PendingStatus {
  if (expired) return 'expired';
  if (resolutionFlags === null) return 'pending';
  return resolutionFlags & 4 ? 'posted' : 'voided';
}

/** Parses the balances column of a records row. */
export function parseRecordBalances(json: string | null): Record<string, Balance> | null {
  if (json === null) return null;
  const raw = JSON.parse(json) as Record<string, [number, number, number, number]>;
  const balances: Record<string, Balance> = {};
  for (const [id, [debitsPending, debitsPosted, creditsPending, creditsPosted]] of Object.entries(
    raw,
  )) {
    balances[id] = { debitsPending, debitsPosted, creditsPending, creditsPosted };
  }
  return balances;
}

export function assertReadLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new Error(`read limit ${limit} invalid`);
  return Math.min(limit, READ_ROWS_MAX);
}

/** A balance-as-of answer for an account that existed but had no entry yet. */
export function zeroBalance(timestamp: number): AccountBalance {
  return { timestamp, debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 };
}
