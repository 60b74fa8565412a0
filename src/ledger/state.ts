// The ledger state machine: applies batches of account and transfer events in order, in memory,
// with no I/O. The writer (src/journal/writer.ts) feeds it, persists what it returns with one
// durable commit per batch, and only then answers.
//
// Determinism: given the same starting state, the same events and the same clock readings, the
// state machine produces the same results. The clock is an argument, never read here.
//
// Besides balances, the state machine keeps, per account, a chain over the entries (transfers and
// expiries) that touched it: each entry records the previous entry's timestamp and its sequence
// number within the account, and every ANCHOR_INTERVAL-th entry is an anchor. The journal stores
// these with the rows, so account histories and balances-as-of need no random-key index in the
// commit path (docs/decisions/0002-append-only-journal.md).

import { IdIndex } from './id-index.ts';
import { MinHeap } from './min-heap.ts';
import {
  ACCOUNT_FLAGS_ALL,
  type Account,
  AccountFlags,
  type AccountInput,
  type AccountResultCode,
  AMOUNT_MAX,
  ID_LENGTH_MAX,
  MICROS_PER_SECOND,
  OWNER_ID_LENGTH_MAX,
  type PendingStatus,
  TIMEOUT_SECONDS_MAX,
  TRANSFER_FLAGS_ALL,
  type Transfer,
  TransferFlags,
  type TransferInput,
  type TransferResultCode,
  transferResultCodes,
  transferResultIndex,
  USER_REF_LENGTH_MAX,
} from './model.ts';

/** Every this-many entries of an account is an anchor: history seeks walk at most this far. */
export const ANCHOR_INTERVAL = 64;

/** An account as the state machine holds it: the ledger's fields plus chain bookkeeping. */
export interface AccountState extends Account {
  entryCount: number;
  lastEntryTs: number;
  /** Timestamp of the oldest change not yet written to the journal's accounts table; 0 if none. */
  dirtySinceTs: number;
}

/** What the journal stores of an account: counters and chain position at one instant. */
export type AccountSnapshot = Omit<AccountState, 'dirtySinceTs'>;

/**
 * A committed transfer with both accounts' counters right after it ("dr" = the debit account,
 * "cr" = the credit account) and both accounts' chain links. Flat, one allocation per transfer.
 */
export interface CommittedTransfer extends EntryFields {
  transfer: Transfer;
  /** The pending transfer this one posted or voided, for rollback; not stored. */
  resolved: Transfer | null;
}

/** A pending transfer that reached its timeout, released in both accounts. */
export interface CommittedExpiry extends EntryFields {
  pendingId: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  timestamp: number;
}

export interface EntryFields {
  drDebitsPending: number;
  drDebitsPosted: number;
  drCreditsPending: number;
  drCreditsPosted: number;
  crDebitsPending: number;
  crDebitsPosted: number;
  crCreditsPending: number;
  crCreditsPosted: number;
  drSeq: number;
  drPrevTs: number;
  crSeq: number;
  crPrevTs: number;
}

export interface Anchor {
  accountId: string;
  timestamp: number;
}

/** Everything one batch changed, for the journal to persist in one commit. */
export interface StateChanges {
  accounts: AccountSnapshot[];
  transfers: CommittedTransfer[];
  expiries: CommittedExpiry[];
  anchors: Anchor[];
  lastTimestamp: number;
}

/** Account counters to write, and from which timestamp recovery must replay the rows. */
export interface Checkpoint {
  accounts: AccountSnapshot[];
  recoverFromTs: number;
}

/** A pending transfer's status as known from the journal, for prefetching. */
export interface PendingLookup {
  transfer: Transfer;
  status: PendingStatus;
}

export interface LedgerStateOptions {
  /** Resolved pending transfers kept in memory (FIFO); older ones are read back. */
  resolvedPendingsMax?: number;
  /** Most transfer ids the in-memory id index may hold. */
  idIndexCapacityMax?: number;
}

export interface TransferOutcome {
  code: TransferResultCode;
  timestamp: number;
  amount: number;
}

/** Where the outcomes of a batch are written: index-aligned typed arrays, no objects. */
export interface OutcomeSink {
  codes: Uint8Array;
  timestamps: Float64Array;
  amounts: Float64Array;
}

export function outcomeSink(count: number): OutcomeSink {
  return {
    codes: new Uint8Array(count),
    timestamps: new Float64Array(count),
    amounts: new Float64Array(count),
  };
}

const RESOLVED_PENDINGS_DEFAULT = 1 << 16;
const EXPIRIES_PER_SWEEP_MAX = 1 << 16;
const OK = transferResultIndex.ok;
const EXISTS = transferResultIndex.exists;

export class LedgerState {
  readonly accounts = new Map<string, AccountState>();
  /** Unresolved pending transfers: always in memory, so expiry never needs the journal. */
  private readonly open = new Map<string, Transfer>();
  /** Recently resolved pending transfers with their status (bounded, FIFO). */
  private readonly resolved = new Map<string, PendingLookup>();
  /** Transfers created in the current batch, for duplicates within it. */
  private batch = new Map<string, Transfer>();
  /** Transfers read from the journal for the current batch (see `missing`). */
  private fetched = new Map<string, Transfer>();
  /** Ids whose candidates were read for the current batch: a hit must be among `fetched`. */
  private checked = new Set<string>();
  private readonly expiryQueue = new MinHeap<string>();
  private readonly ids: IdIndex;
  private readonly resolvedMax: number;
  private lastTimestamp = 0;
  /** Accounts with unwritten changes, oldest first (Set keeps insertion order). */
  private readonly dirty = new Set<AccountState>();
  private changes: StateChanges = emptyChanges(0);
  private newAccounts: AccountState[] = [];
  private recoveredDirty: AccountState[] = [];

  constructor(options: LedgerStateOptions = {}) {
    this.resolvedMax = options.resolvedPendingsMax ?? RESOLVED_PENDINGS_DEFAULT;
    this.ids = new IdIndex(options.idIndexCapacityMax);
  }

  get timestamp(): number {
    return this.lastTimestamp;
  }

  // ---- Recovery -------------------------------------------------------------------------------

  /** Recovery: install an account with its counters and chain position as stored. */
  loadAccount(account: AccountSnapshot, dirtySinceTs = 0): void {
    const state: AccountState = { ...account, dirtySinceTs };
    this.accounts.set(account.id, state);
    if (dirtySinceTs > 0) this.recoveredDirty.push(state);
    this.lastTimestamp = Math.max(this.lastTimestamp, account.timestamp, account.lastEntryTs);
  }

  /**
   * Recovery: accounts whose counters came from replayed rows are ahead of the accounts table.
   * They join the dirty set oldest first, so the next checkpoints write them before recovery's
   * starting point moves past the rows they came from.
   */
  finishRecovery(): void {
    this.recoveredDirty.sort((a, b) => a.dirtySinceTs - b.dirtySinceTs);
    for (const account of this.recoveredDirty) this.dirty.add(account);
    this.recoveredDirty = [];
  }

  /** Recovery: an unresolved pending transfer. */
  loadOpenPending(transfer: Transfer): void {
    this.open.set(transfer.id, transfer);
    if (transfer.timeoutSeconds > 0) this.expiryQueue.push(expiresAt(transfer), transfer.id);
  }

  /** Recovery: every committed transfer id with its timestamp, for idempotency. */
  loadTransferId(id: string, timestamp: number): void {
    this.ids.add(id, timestamp);
  }

  /** Recovery: the latest timestamp ever committed, so new timestamps keep increasing. */
  loadTimestamp(timestamp: number): void {
    this.lastTimestamp = Math.max(this.lastTimestamp, timestamp);
  }

  // ---- Prefetch -------------------------------------------------------------------------------

  /**
   * Timestamps the journal must read before `events` can be applied: committed transfers whose
   * id hashes like an event's id, and pending transfers whose transfer or status is not in memory.
   */
  missing(events: readonly TransferInput[]): { transferTs: number[]; pendingTs: number[] } {
    const transferTs: number[] = [];
    const pendingTs: number[] = [];
    for (const event of events) {
      const id = event.id;
      if (typeof id === 'string' && this.ids.mightContain(id) && !this.knows(id)) {
        this.checked.add(id);
        this.ids.candidates(id, transferTs);
      }
      const pendingId = event.pendingId;
      if (typeof pendingId === 'string' && pendingId !== '' && !this.knowsPending(pendingId)) {
        this.checked.add(pendingId);
        this.ids.candidates(pendingId, pendingTs);
      }
    }
    return { transferTs, pendingTs };
  }

  private knows(id: string): boolean {
    return this.open.has(id) || this.resolved.has(id) || this.fetched.has(id);
  }

  private knowsPending(id: string): boolean {
    return this.open.has(id) || this.resolved.has(id);
  }

  /** Installs what the journal read for `missing`. */
  warm(transfers: readonly Transfer[], pendings: readonly PendingLookup[]): void {
    for (const transfer of transfers) this.fetched.set(transfer.id, transfer);
    for (const lookup of pendings) {
      this.fetched.set(lookup.transfer.id, lookup.transfer);
      if (lookup.status !== 'pending') this.resolved.set(lookup.transfer.id, lookup);
    }
  }

  /** The committed transfer with this id if it is in memory; undefined if certainly new. */
  private known(id: string): Transfer | undefined {
    if (!this.ids.mightContain(id)) return undefined;
    const found =
      this.batch.get(id) ??
      this.fetched.get(id) ??
      this.open.get(id) ??
      this.resolved.get(id)?.transfer;
    if (found === undefined && !this.checked.has(id)) {
      // The writer must call `missing` and `warm` before applying; skipping them is a bug.
      throw new Error(`ledger: id ${id} may exist but was not prefetched`);
    }
    return found;
  }

  // ---- Accounts -------------------------------------------------------------------------------

  createAccounts(inputs: readonly AccountInput[], nowUs: number): AccountResultCode[] {
    const codes: AccountResultCode[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) codes[i] = this.createAccount(inputs[i], nowUs);
    return codes;
  }

  private createAccount(input: AccountInput, nowUs: number): AccountResultCode {
    const invalid = validateAccount(input);
    if (invalid !== null) return invalid;
    const existing = this.accounts.get(input.id);
    if (existing !== undefined) {
      return sameAccount(existing, input) ? 'exists' : 'exists_with_different_fields';
    }
    const account: AccountState = {
      id: input.id,
      ledger: input.ledger,
      code: input.code,
      flags: input.flags ?? 0,
      ownerId: input.ownerId ?? '',
      userData: input.userData ?? 0,
      debitsPending: 0,
      debitsPosted: 0,
      creditsPending: 0,
      creditsPosted: 0,
      timestamp: this.nextTimestamp(nowUs),
      entryCount: 0,
      lastEntryTs: 0,
      dirtySinceTs: 0,
    };
    this.accounts.set(account.id, account);
    this.newAccounts.push(account);
    return 'ok';
  }

  // ---- Expiry ---------------------------------------------------------------------------------

  /** Releases every pending transfer whose timeout has passed by `nowUs`. */
  expire(nowUs: number): number {
    let expired = 0;
    while (expired < EXPIRIES_PER_SWEEP_MAX) {
      const next = this.expiryQueue.peekKey();
      if (next === undefined || next > nowUs) break;
      const id = this.expiryQueue.pop()!;
      const pending = this.open.get(id);
      if (pending === undefined || expiresAt(pending) !== next) continue; // resolved meanwhile
      this.expireOne(pending, nowUs);
      expired++;
    }
    return expired;
  }

  private expireOne(pending: Transfer, nowUs: number): void {
    const debit = this.accounts.get(pending.debitAccountId)!;
    const credit = this.accounts.get(pending.creditAccountId)!;
    debit.debitsPending -= pending.amount;
    credit.creditsPending -= pending.amount;
    this.open.delete(pending.id);
    this.resolved.set(pending.id, { transfer: pending, status: 'expired' });
    const timestamp = this.nextTimestamp(nowUs);
    this.changes.expiries.push({
      pendingId: pending.id,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      amount: pending.amount,
      timestamp,
      ...this.entryFields(debit, credit, timestamp),
    });
  }

  // ---- Transfers ------------------------------------------------------------------------------

  /** Applies one submission's events; outcomes as objects (tests and small callers). */
  createTransfers(events: readonly TransferInput[], nowUs: number): TransferOutcome[] {
    const sink = outcomeSink(events.length);
    this.applyTransfers(events, nowUs, sink, 0);
    return Array.from(sink.codes, (code, i) => ({
      code: transferResultCodes[code],
      timestamp: sink.timestamps[i],
      amount: sink.amounts[i],
    }));
  }

  /**
   * Applies one submission's events, writing outcomes into `sink` from `offset`. Linked chains
   * never cross the end of a submission: a chain still open at its end fails as
   * `linked_event_chain_open`.
   */
  applyTransfers(
    events: readonly TransferInput[],
    nowUs: number,
    sink: OutcomeSink,
    offset: number,
  ): void {
    let start = 0;
    while (start < events.length) {
      let end = start;
      while (end < events.length - 1 && isLinked(events[end])) end++;
      if (isLinked(events[end])) {
        failChain(sink, offset, start, end, end, 'linked_event_chain_open');
      } else {
        this.applyChain(events, start, end, nowUs, sink, offset);
      }
      start = end + 1;
    }
  }

  private applyChain(
    events: readonly TransferInput[],
    start: number,
    end: number,
    nowUs: number,
    sink: OutcomeSink,
    offset: number,
  ): void {
    const timestampBefore = this.lastTimestamp;
    const committedBefore = this.changes.transfers.length;
    const anchorsBefore = this.changes.anchors.length;
    for (let i = start; i <= end; i++) {
      const code = this.applyOne(events[i], nowUs, sink, offset + i);
      sink.codes[offset + i] = code;
      if (code === OK || code === EXISTS) continue;
      this.rollback(committedBefore);
      this.lastTimestamp = timestampBefore;
      this.changes.anchors.length = anchorsBefore;
      failChain(sink, offset, start, end, i, transferResultCodes[code]);
      return;
    }
  }

  /** Returns the numeric result code; on ok/exists also fills the timestamp and amount. */
  private applyOne(event: TransferInput, nowUs: number, sink: OutcomeSink, at: number): number {
    const flags = event.flags ?? 0;
    const invalid = validateTransferShape(event, flags);
    if (invalid !== null) return transferResultIndex[invalid];
    if (flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
      return this.resolvePending(event, flags, nowUs, sink, at);
    }
    const existing = this.known(event.id);
    if (existing !== undefined) return existsOutcome(existing, event, flags, sink, at);
    const debit = this.accounts.get(event.debitAccountId!);
    if (debit === undefined) return transferResultIndex.debit_account_not_found;
    const credit = this.accounts.get(event.creditAccountId!);
    if (credit === undefined) return transferResultIndex.credit_account_not_found;
    if (debit.ledger !== credit.ledger)
      return transferResultIndex.accounts_must_have_the_same_ledger;
    if (event.ledger !== debit.ledger) {
      return transferResultIndex.transfer_must_have_the_same_ledger_as_accounts;
    }
    const amount = clampBalancing(event.amount, flags, debit, credit);
    const bound = checkBounds(amount, flags, debit, credit);
    if (bound !== null) return transferResultIndex[bound];
    const timestamp = this.nextTimestamp(nowUs);
    if ((flags & TransferFlags.pending) !== 0 && !timeoutFits(timestamp, event.timeoutSeconds)) {
      return transferResultIndex.overflow;
    }
    const transfer = newTransfer(event, flags, amount, timestamp);
    if (flags & TransferFlags.pending) {
      debit.debitsPending += amount;
      credit.creditsPending += amount;
      this.open.set(transfer.id, transfer);
      if (transfer.timeoutSeconds > 0) this.expiryQueue.push(expiresAt(transfer), transfer.id);
    } else {
      debit.debitsPosted += amount;
      credit.creditsPosted += amount;
    }
    this.record(transfer, null, debit, credit);
    sink.timestamps[at] = timestamp;
    sink.amounts[at] = amount;
    return OK;
  }

  /** Records a transfer that has just changed both accounts' counters. */
  private record(
    transfer: Transfer,
    resolved: Transfer | null,
    debit: AccountState,
    credit: AccountState,
  ): void {
    this.batch.set(transfer.id, transfer);
    this.ids.add(transfer.id, transfer.timestamp);
    // One literal with every field, so all entries share one hidden class.
    const entry: CommittedTransfer = {
      transfer,
      resolved,
      drDebitsPending: debit.debitsPending,
      drDebitsPosted: debit.debitsPosted,
      drCreditsPending: debit.creditsPending,
      drCreditsPosted: debit.creditsPosted,
      crDebitsPending: credit.debitsPending,
      crDebitsPosted: credit.debitsPosted,
      crCreditsPending: credit.creditsPending,
      crCreditsPosted: credit.creditsPosted,
      drSeq: debit.entryCount + 1,
      drPrevTs: debit.lastEntryTs,
      crSeq: credit.entryCount + 1,
      crPrevTs: credit.lastEntryTs,
    };
    this.link(debit, transfer.timestamp);
    this.link(credit, transfer.timestamp);
    this.changes.transfers.push(entry);
  }

  /** Both accounts' counters after the entry, and the entry appended to both chains. */
  private entryFields(debit: AccountState, credit: AccountState, timestamp: number): EntryFields {
    const fields: EntryFields = {
      drDebitsPending: debit.debitsPending,
      drDebitsPosted: debit.debitsPosted,
      drCreditsPending: debit.creditsPending,
      drCreditsPosted: debit.creditsPosted,
      crDebitsPending: credit.debitsPending,
      crDebitsPosted: credit.debitsPosted,
      crCreditsPending: credit.creditsPending,
      crCreditsPosted: credit.creditsPosted,
      drSeq: debit.entryCount + 1,
      drPrevTs: debit.lastEntryTs,
      crSeq: credit.entryCount + 1,
      crPrevTs: credit.lastEntryTs,
    };
    this.link(debit, timestamp);
    this.link(credit, timestamp);
    return fields;
  }

  /** Appends an entry to the account's chain; every ANCHOR_INTERVAL-th entry is an anchor. */
  private link(account: AccountState, timestamp: number): void {
    account.lastEntryTs = timestamp;
    account.entryCount++;
    if (account.entryCount % ANCHOR_INTERVAL === 0) {
      this.changes.anchors.push({ accountId: account.id, timestamp });
    }
    if (account.dirtySinceTs === 0) {
      account.dirtySinceTs = timestamp;
      this.dirty.add(account);
    }
  }

  private resolvePending(
    event: TransferInput,
    flags: number,
    nowUs: number,
    sink: OutcomeSink,
    at: number,
  ): number {
    const pendingId = event.pendingId!;
    const pending =
      this.open.get(pendingId) ?? this.resolved.get(pendingId)?.transfer ?? this.known(pendingId);
    if (pending === undefined) return transferResultIndex.pending_transfer_not_found;
    if ((pending.flags & TransferFlags.pending) === 0)
      return transferResultIndex.pending_transfer_not_pending;
    const existing = this.known(event.id);
    if (existing !== undefined) return existsOutcome(existing, event, flags, sink, at);
    const mismatch = checkAgainstPending(event, pending);
    if (mismatch !== null) return transferResultIndex[mismatch];
    const status = this.open.has(pending.id) ? 'pending' : this.resolved.get(pending.id)?.status;
    // The writer prefetches every pending status it lacks (see `missing`); a gap here is a bug.
    if (status === undefined) throw new Error(`ledger: status of pending ${pending.id} not loaded`);
    if (status === 'posted') return transferResultIndex.pending_transfer_already_posted;
    if (status === 'voided') return transferResultIndex.pending_transfer_already_voided;
    if (status !== 'pending') return transferResultIndex.pending_transfer_expired;
    const timestamp = this.nextTimestamp(nowUs);
    if (pending.timeoutSeconds > 0 && expiresAt(pending) <= timestamp) {
      return transferResultIndex.pending_transfer_expired;
    }
    const amount = resolvedAmount(event.amount, flags, pending.amount);
    if (typeof amount === 'string') return transferResultIndex[amount];
    const posted = postedAmount(flags, amount);
    const debit = this.accounts.get(pending.debitAccountId)!;
    const credit = this.accounts.get(pending.creditAccountId)!;
    if (posted > AMOUNT_MAX - debit.debitsPosted || posted > AMOUNT_MAX - credit.creditsPosted) {
      return transferResultIndex.overflow;
    }
    const transfer = resolutionTransfer(event, flags, pending, amount, timestamp);
    debit.debitsPending -= pending.amount;
    credit.creditsPending -= pending.amount;
    debit.debitsPosted += posted;
    credit.creditsPosted += posted;
    this.open.delete(pending.id);
    const resolution = flags & TransferFlags.postPending ? 'posted' : 'voided';
    this.resolved.set(pending.id, { transfer: pending, status: resolution });
    this.record(transfer, pending, debit, credit);
    sink.timestamps[at] = timestamp;
    sink.amounts[at] = amount;
    return OK;
  }

  /** Undoes every transfer recorded since `committedBefore`, newest first. */
  private rollback(committedBefore: number): void {
    const entries = this.changes.transfers;
    for (let i = entries.length - 1; i >= committedBefore; i--) {
      const entry = entries[i];
      const transfer = entry.transfer;
      const debit = this.accounts.get(transfer.debitAccountId)!;
      const credit = this.accounts.get(transfer.creditAccountId)!;
      this.batch.delete(transfer.id);
      this.ids.remove(transfer.id, transfer.timestamp);
      debit.lastEntryTs = entry.drPrevTs;
      debit.entryCount = entry.drSeq - 1;
      credit.lastEntryTs = entry.crPrevTs;
      credit.entryCount = entry.crSeq - 1;
      if (entry.resolved === null) {
        if (transfer.flags & TransferFlags.pending) {
          debit.debitsPending -= transfer.amount;
          credit.creditsPending -= transfer.amount;
          this.open.delete(transfer.id); // its expiry-queue entry is skipped when popped
        } else {
          debit.debitsPosted -= transfer.amount;
          credit.creditsPosted -= transfer.amount;
        }
      } else {
        const posted = postedAmount(transfer.flags, transfer.amount);
        debit.debitsPending += entry.resolved.amount;
        credit.creditsPending += entry.resolved.amount;
        debit.debitsPosted -= posted;
        credit.creditsPosted -= posted;
        this.open.set(entry.resolved.id, entry.resolved);
        this.resolved.delete(entry.resolved.id);
      }
    }
    entries.length = committedBefore;
  }

  // ---- Batch boundary -------------------------------------------------------------------------

  /** Hands over everything applied since the last call, and bounds the in-memory caches. */
  takeChanges(): StateChanges {
    const changes = this.changes;
    changes.accounts = this.newAccounts.map(snapshotOf);
    changes.lastTimestamp = this.lastTimestamp;
    this.newAccounts = [];
    this.changes = emptyChanges(this.lastTimestamp);
    this.batch = new Map();
    this.fetched = new Map();
    this.checked = new Set();
    trimOldest(this.resolved, this.resolvedMax);
    return changes;
  }

  /**
   * Up to `accountsMax` of the longest-dirty accounts, to write now; recovery must then replay
   * rows from the oldest change still unwritten.
   */
  takeCheckpoint(accountsMax: number): Checkpoint {
    const accounts: AccountSnapshot[] = [];
    for (const account of this.dirty) {
      if (accounts.length >= accountsMax) break;
      accounts.push(snapshotOf(account));
      account.dirtySinceTs = 0;
      this.dirty.delete(account);
    }
    let recoverFromTs = this.lastTimestamp + 1;
    for (const oldest of this.dirty) {
      recoverFromTs = oldest.dirtySinceTs;
      break;
    }
    return { accounts, recoverFromTs };
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /** How many pending transfers are unresolved (bounded by what callers create). */
  get openPendingCount(): number {
    return this.open.size;
  }

  get transferIdCount(): number {
    return this.ids.size;
  }

  /** A transfer held in memory (open or recently resolved pending), if any. */
  recentTransfer(id: string): Transfer | undefined {
    return this.open.get(id) ?? this.resolved.get(id)?.transfer;
  }

  /** Timestamps that may hold the transfer `id` (exact after the journal confirms the id). */
  transferCandidates(id: string): number[] {
    const found: number[] = [];
    this.ids.candidates(id, found);
    return found;
  }

  /** Engine timestamps strictly increase, even if the wall clock stalls or steps back. */
  private nextTimestamp(nowUs: number): number {
    const next = nowUs > this.lastTimestamp ? nowUs : this.lastTimestamp + 1;
    this.lastTimestamp = next;
    return next;
  }
}

/** The ledger's public view of an account (no chain bookkeeping). */
export function publicAccount(account: Account): Account {
  return {
    id: account.id,
    ledger: account.ledger,
    code: account.code,
    flags: account.flags,
    ownerId: account.ownerId,
    userData: account.userData,
    debitsPending: account.debitsPending,
    debitsPosted: account.debitsPosted,
    creditsPending: account.creditsPending,
    creditsPosted: account.creditsPosted,
    timestamp: account.timestamp,
  };
}

function snapshotOf(account: AccountState): AccountSnapshot {
  return {
    id: account.id,
    ledger: account.ledger,
    code: account.code,
    flags: account.flags,
    ownerId: account.ownerId,
    userData: account.userData,
    debitsPending: account.debitsPending,
    debitsPosted: account.debitsPosted,
    creditsPending: account.creditsPending,
    creditsPosted: account.creditsPosted,
    timestamp: account.timestamp,
    entryCount: account.entryCount,
    lastEntryTs: account.lastEntryTs,
  };
}

// ---- Pure helpers -------------------------------------------------------------------------------

function emptyChanges(lastTimestamp: number): StateChanges {
  return { accounts: [], transfers: [], expiries: [], anchors: [], lastTimestamp };
}

function isLinked(event: TransferInput): boolean {
  return ((event.flags ?? 0) & TransferFlags.linked) !== 0;
}

/** Marks a failed chain: the culprit keeps its own code, every other event `linked_event_failed`. */
function failChain(
  sink: OutcomeSink,
  offset: number,
  start: number,
  end: number,
  culprit: number,
  code: TransferResultCode,
): void {
  for (let i = start; i <= end; i++) {
    const at = offset + i;
    sink.codes[at] = transferResultIndex[i === culprit ? code : 'linked_event_failed'];
    sink.timestamps[at] = 0;
    sink.amounts[at] = 0;
  }
}

export function expiresAt(transfer: Transfer): number {
  return transfer.timestamp + transfer.timeoutSeconds * MICROS_PER_SECOND;
}

function timeoutFits(timestamp: number, timeoutSeconds: number | undefined): boolean {
  return timestamp + (timeoutSeconds ?? 0) * MICROS_PER_SECOND <= AMOUNT_MAX;
}

function isSafeCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function validateId(id: unknown): 'id_must_not_be_empty' | 'id_too_long' | null {
  if (typeof id !== 'string' || id.length === 0) return 'id_must_not_be_empty';
  if (id.length > ID_LENGTH_MAX) return 'id_too_long';
  return null;
}

function validateAccount(input: AccountInput): AccountResultCode | null {
  const badId = validateId(input.id);
  if (badId !== null) return badId;
  const flags = input.flags ?? 0;
  if (!isSafeCount(flags) || (flags & ~ACCOUNT_FLAGS_ALL) !== 0) return 'flags_are_invalid';
  const both = AccountFlags.debitsMustNotExceedCredits | AccountFlags.creditsMustNotExceedDebits;
  if ((flags & both) === both) return 'flags_are_mutually_exclusive';
  if (!isSafeCount(input.ledger) || input.ledger === 0) return 'ledger_must_not_be_zero';
  if (!isSafeCount(input.code) || input.code === 0) return 'code_must_not_be_zero';
  if ((input.ownerId ?? '').length > OWNER_ID_LENGTH_MAX) return 'owner_id_too_long';
  if (input.userData !== undefined && !isSafeCount(input.userData)) return 'user_data_invalid';
  return null;
}

function sameAccount(account: Account, input: AccountInput): boolean {
  return (
    account.ledger === input.ledger &&
    account.code === input.code &&
    account.flags === (input.flags ?? 0) &&
    account.ownerId === (input.ownerId ?? '') &&
    account.userData === (input.userData ?? 0)
  );
}

function validateFlags(flags: number): TransferResultCode | null {
  if (!isSafeCount(flags) || (flags & ~TRANSFER_FLAGS_ALL) !== 0) return 'flags_are_invalid';
  const phases =
    flags & (TransferFlags.pending | TransferFlags.postPending | TransferFlags.voidPending);
  if (phases !== 0 && (phases & (phases - 1)) !== 0) return 'flags_are_mutually_exclusive';
  const balancing = flags & (TransferFlags.balancingDebit | TransferFlags.balancingCredit);
  const resolving = flags & (TransferFlags.postPending | TransferFlags.voidPending);
  if (balancing !== 0 && resolving !== 0) return 'flags_are_mutually_exclusive';
  return null;
}

/** Checks that need nothing but the event itself. */
function validateTransferShape(event: TransferInput, flags: number): TransferResultCode | null {
  const badId = validateId(event.id);
  if (badId !== null) return badId;
  const badFlags = validateFlags(flags);
  if (badFlags !== null) return badFlags;
  if (!isSafeCount(event.amount)) return 'amount_invalid';
  if ((event.userRef ?? '').length > USER_REF_LENGTH_MAX) return 'user_ref_too_long';
  if (event.userData !== undefined && !isSafeCount(event.userData)) return 'user_data_invalid';
  const timeout = event.timeoutSeconds ?? 0;
  if (!isSafeCount(timeout)) return 'timeout_too_large';
  if (flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
    return validateResolutionShape(event, timeout);
  }
  if (!event.debitAccountId) return 'debit_account_id_must_not_be_empty';
  if (!event.creditAccountId) return 'credit_account_id_must_not_be_empty';
  if (event.debitAccountId === event.creditAccountId) return 'accounts_must_be_different';
  if (event.pendingId) return 'pending_id_must_be_empty';
  if (timeout !== 0 && (flags & TransferFlags.pending) === 0) {
    return 'timeout_reserved_for_pending_transfer';
  }
  if (timeout > TIMEOUT_SECONDS_MAX) return 'timeout_too_large';
  if (event.amount === 0) return 'amount_must_not_be_zero';
  if (!isSafeCount(event.ledger) || event.ledger === 0) return 'ledger_must_not_be_zero';
  if (!isSafeCount(event.code) || event.code === 0) return 'code_must_not_be_zero';
  return null;
}

function validateResolutionShape(event: TransferInput, timeout: number): TransferResultCode | null {
  if (!event.pendingId) return 'pending_id_must_not_be_empty';
  if (event.pendingId === event.id) return 'pending_id_must_be_different';
  if (timeout !== 0) return 'timeout_reserved_for_pending_transfer';
  if (event.ledger !== undefined && !isSafeCount(event.ledger)) return 'ledger_must_not_be_zero';
  if (event.code !== undefined && !isSafeCount(event.code)) return 'code_must_not_be_zero';
  return null;
}

function checkAgainstPending(event: TransferInput, pending: Transfer): TransferResultCode | null {
  if (event.debitAccountId && event.debitAccountId !== pending.debitAccountId) {
    return 'pending_transfer_has_different_debit_account_id';
  }
  if (event.creditAccountId && event.creditAccountId !== pending.creditAccountId) {
    return 'pending_transfer_has_different_credit_account_id';
  }
  if (event.ledger && event.ledger !== pending.ledger)
    return 'pending_transfer_has_different_ledger';
  if (event.code && event.code !== pending.code) return 'pending_transfer_has_different_code';
  return null;
}

/**
 * Post: 0 means all of it, less is partial; void: 0 or exactly the pending amount. A void
 * records the pending amount it released, but posts nothing (see postedAmount).
 */
function resolvedAmount(
  requested: number,
  flags: number,
  pendingAmount: number,
): number | TransferResultCode {
  if (flags & TransferFlags.voidPending) {
    if (requested !== 0 && requested !== pendingAmount)
      return 'pending_transfer_has_different_amount';
    return pendingAmount;
  }
  if (requested > pendingAmount) return 'exceeds_pending_transfer_amount';
  return requested === 0 ? pendingAmount : requested;
}

/** What a resolution adds to the posted counters: a void releases, it never posts. */
export function postedAmount(flags: number, amount: number): number {
  return flags & TransferFlags.voidPending ? 0 : amount;
}

/** Balancing flags clamp the requested amount to what the account's bound leaves room for. */
function clampBalancing(amount: number, flags: number, debit: Account, credit: Account): number {
  let clamped = amount;
  if (flags & TransferFlags.balancingDebit) {
    const room = debit.creditsPosted - debit.debitsPosted - debit.debitsPending;
    clamped = Math.max(0, Math.min(clamped, room));
  }
  if (flags & TransferFlags.balancingCredit) {
    const room = credit.debitsPosted - credit.creditsPosted - credit.creditsPending;
    clamped = Math.max(0, Math.min(clamped, room));
  }
  return clamped;
}

function checkBounds(
  amount: number,
  flags: number,
  debit: Account,
  credit: Account,
): TransferResultCode | null {
  const pending = (flags & TransferFlags.pending) !== 0;
  const debitSide = pending ? debit.debitsPending : debit.debitsPosted;
  const creditSide = pending ? credit.creditsPending : credit.creditsPosted;
  if (amount > AMOUNT_MAX - debitSide || amount > AMOUNT_MAX - creditSide) return 'overflow';
  if (amount > AMOUNT_MAX - debit.debitsPending - debit.debitsPosted) return 'overflow';
  if (amount > AMOUNT_MAX - credit.creditsPending - credit.creditsPosted) return 'overflow';
  if (debit.flags & AccountFlags.debitsMustNotExceedCredits) {
    if (debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) {
      return 'exceeds_credits';
    }
  }
  if (credit.flags & AccountFlags.creditsMustNotExceedDebits) {
    if (credit.creditsPending + credit.creditsPosted + amount > credit.debitsPosted) {
      return 'exceeds_debits';
    }
  }
  return null;
}

function newTransfer(
  event: TransferInput,
  flags: number,
  amount: number,
  timestamp: number,
): Transfer {
  return {
    id: event.id,
    debitAccountId: event.debitAccountId!,
    creditAccountId: event.creditAccountId!,
    amount,
    pendingId: '',
    ledger: event.ledger!,
    code: event.code!,
    flags,
    timeoutSeconds: event.timeoutSeconds ?? 0,
    userRef: event.userRef ?? '',
    userData: event.userData ?? 0,
    timestamp,
  };
}

function resolutionTransfer(
  event: TransferInput,
  flags: number,
  pending: Transfer,
  amount: number,
  timestamp: number,
): Transfer {
  return {
    id: event.id,
    debitAccountId: pending.debitAccountId,
    creditAccountId: pending.creditAccountId,
    amount,
    pendingId: pending.id,
    ledger: pending.ledger,
    code: event.code || pending.code,
    flags,
    timeoutSeconds: 0,
    userRef: event.userRef ?? '',
    userData: event.userData ?? 0,
    timestamp,
  };
}

/**
 * A replay: identical fields give `exists` with the original outcome; anything else differs.
 * Balancing and post amounts compare against what was requested, which the stored amount may
 * not equal, so for those only the other fields are compared.
 */
function existsOutcome(
  existing: Transfer,
  event: TransferInput,
  flags: number,
  sink: OutcomeSink,
  at: number,
): number {
  if (!sameTransfer(existing, event, flags))
    return transferResultIndex.exists_with_different_fields;
  sink.timestamps[at] = existing.timestamp;
  sink.amounts[at] = existing.amount;
  return EXISTS;
}

function sameTransfer(existing: Transfer, event: TransferInput, flags: number): boolean {
  if (existing.flags !== flags) return false;
  if (existing.userRef !== (event.userRef ?? '')) return false;
  if (existing.userData !== (event.userData ?? 0)) return false;
  const resolving = (flags & (TransferFlags.postPending | TransferFlags.voidPending)) !== 0;
  if (resolving) {
    if (existing.pendingId !== event.pendingId) return false;
    if (event.debitAccountId && event.debitAccountId !== existing.debitAccountId) return false;
    if (event.creditAccountId && event.creditAccountId !== existing.creditAccountId) return false;
    if (event.ledger && event.ledger !== existing.ledger) return false;
    if (event.code && event.code !== existing.code) return false;
    return event.amount === 0 || event.amount === existing.amount;
  }
  const balancing = (flags & (TransferFlags.balancingDebit | TransferFlags.balancingCredit)) !== 0;
  return (
    existing.debitAccountId === event.debitAccountId &&
    existing.creditAccountId === event.creditAccountId &&
    (balancing ? existing.amount <= event.amount : existing.amount === event.amount) &&
    (existing.pendingId === '' ? !event.pendingId : existing.pendingId === event.pendingId) &&
    existing.ledger === event.ledger &&
    existing.code === event.code &&
    existing.timeoutSeconds === (event.timeoutSeconds ?? 0)
  );
}

/** Drops the oldest entries beyond `max` (Maps iterate in insertion order). */
function trimOldest<V>(map: Map<string, V>, max: number): void {
  let excess = map.size - max;
  for (const key of map.keys()) {
    if (excess <= 0) break;
    map.delete(key);
    excess--;
  }
}
