// The ledger state machine: applies batches of account and transfer events in order, in memory,
// with no I/O. The writer (src/journal/writer.ts) feeds it, persists what it returns with one
// durable commit per batch, and only then answers.
//
// Determinism: given the same starting state, the same events and the same clock readings, the
// state machine produces the same results. The clock is an argument, never read here.

import { IdFilter } from './id-filter.ts';
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
  USER_REF_LENGTH_MAX,
} from './model.ts';

/** A committed transfer plus both accounts' counters right after it (for history and recovery). */
export interface CommittedTransfer {
  transfer: Transfer;
  debitAfter: Counters;
  creditAfter: Counters;
}

/** A pending transfer that reached its timeout, with both accounts' counters after release. */
export interface CommittedExpiry {
  pendingId: string;
  debitAccountId: string;
  creditAccountId: string;
  timestamp: number;
  debitAfter: Counters;
  creditAfter: Counters;
}

/** debitsPending, debitsPosted, creditsPending, creditsPosted — in that order. */
export type Counters = readonly [number, number, number, number];

/** Everything one batch changed, for the journal to persist in one commit. */
export interface StateChanges {
  accounts: Account[];
  transfers: CommittedTransfer[];
  expiries: CommittedExpiry[];
  /** Accounts whose counters changed since the last checkpoint (see takeCheckpoint). */
  lastTimestamp: number;
}

/** A pending transfer's status as known from the journal, for prefetching. */
export interface PendingLookup {
  transfer: Transfer;
  status: PendingStatus;
}

export interface LedgerStateOptions {
  /** Committed transfers kept in memory for idempotency and pending lookups (FIFO). */
  recentTransfersMax?: number;
}

export interface TransferOutcome {
  code: TransferResultCode;
  timestamp: number;
  amount: number;
}

const RECENT_TRANSFERS_DEFAULT = 1 << 18;
const EXPIRIES_PER_SWEEP_MAX = 1 << 16;

type Undo =
  | { kind: 'create'; transfer: Transfer; debit: Account; credit: Account }
  | { kind: 'resolve'; transfer: Transfer; pending: Transfer; debit: Account; credit: Account };

export class LedgerState {
  readonly accounts = new Map<string, Account>();
  /** Unresolved pending transfers: always in memory, so expiry never needs the journal. */
  private readonly open = new Map<string, Transfer>();
  private readonly recent = new Map<string, Transfer>();
  private readonly resolutions = new Map<string, PendingStatus>();
  private readonly expiryQueue = new MinHeap<string>();
  private readonly ids = new IdFilter();
  private readonly recentMax: number;
  private lastTimestamp = 0;
  private dirty = new Set<Account>();
  private changes: StateChanges = emptyChanges(0);

  constructor(options: LedgerStateOptions = {}) {
    this.recentMax = options.recentTransfersMax ?? RECENT_TRANSFERS_DEFAULT;
  }

  get timestamp(): number {
    return this.lastTimestamp;
  }

  // ---- Recovery -------------------------------------------------------------------------------

  /** Recovery: install an account with its counters as stored. */
  loadAccount(account: Account): void {
    this.accounts.set(account.id, account);
    this.lastTimestamp = Math.max(this.lastTimestamp, account.timestamp);
  }

  /** Recovery: an unresolved pending transfer. */
  loadOpenPending(transfer: Transfer): void {
    this.open.set(transfer.id, transfer);
    this.recent.set(transfer.id, transfer);
    if (transfer.timeoutSeconds > 0) {
      this.expiryQueue.push(expiresAt(transfer), transfer.id);
    }
  }

  /** Recovery: every committed transfer id, so the id filter can answer "certainly new". */
  loadTransferId(id: string): void {
    this.ids.add(id);
  }

  /** Recovery: the latest timestamp ever committed, so new timestamps keep increasing. */
  loadTimestamp(timestamp: number): void {
    this.lastTimestamp = Math.max(this.lastTimestamp, timestamp);
  }

  // ---- Prefetch -------------------------------------------------------------------------------

  /**
   * Ids the journal must be asked about before `events` can be applied: transfer ids that the
   * filter cannot rule out, and pending ids whose transfer or status is not in memory.
   */
  missing(events: readonly TransferInput[]): { transferIds: string[]; pendingIds: string[] } {
    const transferIds: string[] = [];
    const pendingIds: string[] = [];
    for (const event of events) {
      const id = event.id;
      if (typeof id === 'string' && !this.recent.has(id) && this.ids.mightContain(id)) {
        transferIds.push(id);
      }
      const pendingId = event.pendingId;
      const known =
        this.open.has(pendingId ?? '') ||
        (this.recent.has(pendingId ?? '') && this.resolutions.has(pendingId ?? ''));
      if (pendingId && !known) {
        pendingIds.push(pendingId);
      }
    }
    return { transferIds, pendingIds };
  }

  /** Installs what the journal answered to `missing`. */
  warm(transfers: readonly Transfer[], pendings: readonly PendingLookup[]): void {
    for (const transfer of transfers) this.recent.set(transfer.id, transfer);
    for (const { transfer, status } of pendings) {
      this.recent.set(transfer.id, transfer);
      if (status !== 'pending') this.resolutions.set(transfer.id, status);
    }
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
    const account: Account = {
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
    };
    this.accounts.set(account.id, account);
    this.changes.accounts.push(account);
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
    this.resolutions.set(pending.id, 'expired');
    this.dirty.add(debit);
    this.dirty.add(credit);
    this.changes.expiries.push({
      pendingId: pending.id,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      timestamp: this.nextTimestamp(nowUs),
      debitAfter: countersOf(debit),
      creditAfter: countersOf(credit),
    });
  }

  // ---- Transfers ------------------------------------------------------------------------------

  /**
   * Applies one submission's events. Linked chains never cross the end of a submission: a chain
   * still open at its end fails as `linked_event_chain_open`.
   */
  createTransfers(events: readonly TransferInput[], nowUs: number): TransferOutcome[] {
    const outcomes: TransferOutcome[] = new Array(events.length);
    let start = 0;
    while (start < events.length) {
      let end = start;
      while (end < events.length - 1 && isLinked(events[end])) end++;
      if (isLinked(events[end])) {
        failChain(outcomes, start, end, end, 'linked_event_chain_open');
      } else {
        this.applyChain(events, start, end, nowUs, outcomes);
      }
      start = end + 1;
    }
    return outcomes;
  }

  private applyChain(
    events: readonly TransferInput[],
    start: number,
    end: number,
    nowUs: number,
    outcomes: TransferOutcome[],
  ): void {
    const undo: Undo[] = [];
    const timestampBefore = this.lastTimestamp;
    const committedBefore = this.changes.transfers.length;
    for (let i = start; i <= end; i++) {
      const outcome = this.applyOne(events[i], nowUs, undo);
      outcomes[i] = outcome;
      if (outcome.code === 'ok' || outcome.code === 'exists') continue;
      this.rollback(undo);
      this.lastTimestamp = timestampBefore;
      this.changes.transfers.length = committedBefore;
      failChain(outcomes, start, end, i, outcome.code);
      return;
    }
    for (const step of undo) this.ids.add(step.transfer.id);
  }

  private applyOne(event: TransferInput, nowUs: number, undo: Undo[]): TransferOutcome {
    const flags = event.flags ?? 0;
    const invalid = validateTransferShape(event, flags);
    if (invalid !== null) return failure(invalid);
    if (flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
      return this.resolvePending(event, flags, nowUs, undo);
    }
    const existing = this.recent.get(event.id);
    if (existing !== undefined) return existsOutcome(existing, event, flags);
    const debit = this.accounts.get(event.debitAccountId!);
    if (debit === undefined) return failure('debit_account_not_found');
    const credit = this.accounts.get(event.creditAccountId!);
    if (credit === undefined) return failure('credit_account_not_found');
    if (debit.ledger !== credit.ledger) return failure('accounts_must_have_the_same_ledger');
    if (event.ledger !== debit.ledger)
      return failure('transfer_must_have_the_same_ledger_as_accounts');
    const amount = clampBalancing(event.amount, flags, debit, credit);
    const bound = checkBounds(amount, flags, debit, credit);
    if (bound !== null) return failure(bound);
    const timestamp = this.nextTimestamp(nowUs);
    if ((flags & TransferFlags.pending) !== 0 && !timeoutFits(timestamp, event.timeoutSeconds)) {
      return failure('overflow');
    }
    const transfer = newTransfer(event, flags, amount, timestamp);
    this.post(transfer, debit, credit, flags);
    undo.push({ kind: 'create', transfer, debit, credit });
    return { code: 'ok', timestamp, amount };
  }

  private post(transfer: Transfer, debit: Account, credit: Account, flags: number): void {
    if (flags & TransferFlags.pending) {
      debit.debitsPending += transfer.amount;
      credit.creditsPending += transfer.amount;
      this.open.set(transfer.id, transfer);
      if (transfer.timeoutSeconds > 0) {
        this.expiryQueue.push(expiresAt(transfer), transfer.id);
      }
    } else {
      debit.debitsPosted += transfer.amount;
      credit.creditsPosted += transfer.amount;
    }
    this.recordTransfer(transfer, debit, credit);
  }

  private recordTransfer(transfer: Transfer, debit: Account, credit: Account): void {
    this.recent.set(transfer.id, transfer);
    this.dirty.add(debit);
    this.dirty.add(credit);
    this.changes.transfers.push({
      transfer,
      debitAfter: countersOf(debit),
      creditAfter: countersOf(credit),
    });
  }

  private resolvePending(
    event: TransferInput,
    flags: number,
    nowUs: number,
    undo: Undo[],
  ): TransferOutcome {
    const pending = this.recent.get(event.pendingId!) ?? this.open.get(event.pendingId!);
    if (pending === undefined) return failure('pending_transfer_not_found');
    if ((pending.flags & TransferFlags.pending) === 0)
      return failure('pending_transfer_not_pending');
    const existing = this.recent.get(event.id);
    if (existing !== undefined) return existsOutcome(existing, event, flags);
    const mismatch = checkAgainstPending(event, pending);
    if (mismatch !== null) return failure(mismatch);
    const status = this.open.has(pending.id) ? 'pending' : this.resolutions.get(pending.id);
    // The writer prefetches every pending status it lacks (see `missing`); a gap here is a bug.
    if (status === undefined) throw new Error(`ledger: status of pending ${pending.id} not loaded`);
    if (status === 'posted') return failure('pending_transfer_already_posted');
    if (status === 'voided') return failure('pending_transfer_already_voided');
    if (status !== 'pending') return failure('pending_transfer_expired');
    const timestamp = this.nextTimestamp(nowUs);
    if (pending.timeoutSeconds > 0 && expiresAt(pending) <= timestamp) {
      return failure('pending_transfer_expired');
    }
    const amount = resolvedAmount(event.amount, flags, pending.amount);
    if (typeof amount === 'string') return failure(amount);
    const posted = postedAmount(flags, amount);
    const debit = this.accounts.get(pending.debitAccountId)!;
    const credit = this.accounts.get(pending.creditAccountId)!;
    if (posted > AMOUNT_MAX - debit.debitsPosted || posted > AMOUNT_MAX - credit.creditsPosted) {
      return failure('overflow');
    }
    const transfer = resolutionTransfer(event, flags, pending, amount, timestamp);
    debit.debitsPending -= pending.amount;
    credit.creditsPending -= pending.amount;
    debit.debitsPosted += posted;
    credit.creditsPosted += posted;
    this.open.delete(pending.id);
    this.resolutions.set(pending.id, flags & TransferFlags.postPending ? 'posted' : 'voided');
    this.recordTransfer(transfer, debit, credit);
    undo.push({ kind: 'resolve', transfer, pending, debit, credit });
    return { code: 'ok', timestamp, amount };
  }

  private rollback(undo: Undo[]): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const step = undo[i];
      const { transfer, debit, credit } = step;
      this.recent.delete(transfer.id);
      if (step.kind === 'create') {
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
        debit.debitsPending += step.pending.amount;
        credit.creditsPending += step.pending.amount;
        debit.debitsPosted -= posted;
        credit.creditsPosted -= posted;
        this.open.set(step.pending.id, step.pending);
        this.resolutions.delete(step.pending.id);
      }
    }
  }

  // ---- Batch boundary -------------------------------------------------------------------------

  /** Hands over everything applied since the last call, and bounds the in-memory caches. */
  takeChanges(): StateChanges {
    const changes = this.changes;
    changes.lastTimestamp = this.lastTimestamp;
    this.changes = emptyChanges(this.lastTimestamp);
    trimOldest(this.recent, this.recentMax, this.open);
    trimOldest(this.resolutions, this.recentMax, undefined);
    return changes;
  }

  /** Accounts changed since the previous checkpoint; the journal writes their counters. */
  takeCheckpoint(): Account[] {
    const accounts = [...this.dirty];
    this.dirty = new Set();
    return accounts;
  }

  /** How many pending transfers are unresolved (bounded by what callers create). */
  get openPendingCount(): number {
    return this.open.size;
  }

  /** The pending status if it is known in memory. */
  pendingStatus(id: string): PendingStatus | undefined {
    if (this.open.has(id)) return 'pending';
    return this.resolutions.get(id);
  }

  recentTransfer(id: string): Transfer | undefined {
    return this.recent.get(id) ?? this.open.get(id);
  }

  /** Engine timestamps strictly increase, even if the wall clock stalls or steps back. */
  private nextTimestamp(nowUs: number): number {
    const next = nowUs > this.lastTimestamp ? nowUs : this.lastTimestamp + 1;
    this.lastTimestamp = next;
    return next;
  }
}

// ---- Pure helpers -------------------------------------------------------------------------------

function emptyChanges(lastTimestamp: number): StateChanges {
  return { accounts: [], transfers: [], expiries: [], lastTimestamp };
}

function isLinked(event: TransferInput): boolean {
  return ((event.flags ?? 0) & TransferFlags.linked) !== 0;
}

function failure(code: TransferResultCode): TransferOutcome {
  return { code, timestamp: 0, amount: 0 };
}

/** Marks a failed chain: the culprit keeps its own code, every other event `linked_event_failed`. */
function failChain(
  outcomes: TransferOutcome[],
  start: number,
  end: number,
  culprit: number,
  code: TransferResultCode,
): void {
  for (let i = start; i <= end; i++) {
    outcomes[i] = failure(i === culprit ? code : 'linked_event_failed');
  }
}

function countersOf(account: Account): Counters {
  return [
    account.debitsPending,
    account.debitsPosted,
    account.creditsPending,
    account.creditsPosted,
  ];
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
function existsOutcome(existing: Transfer, event: TransferInput, flags: number): TransferOutcome {
  const same = sameTransfer(existing, event, flags);
  if (!same) return failure('exists_with_different_fields');
  return { code: 'exists', timestamp: existing.timestamp, amount: existing.amount };
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

/** Drops the oldest entries beyond `max`, never one that `keep` still needs. */
function trimOldest<V>(
  map: Map<string, V>,
  max: number,
  keep: Map<string, Transfer> | undefined,
): void {
  let excess = map.size - max;
  if (excess <= 0) return;
  for (const key of map.keys()) {
    if (excess <= 0) break;
    if (keep?.has(key)) continue;
    map.delete(key);
    excess--;
  }
}
