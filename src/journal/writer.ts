// The single writer of a shard: owns the ledger state in memory, applies each batch in order and
// persists it with one durable commit before anyone hears the outcome. Every operation — writes
// and reads — runs one at a time, so a read sees exactly the durable state: nothing that is
// applied in memory but not yet committed.
//
// Fail-stop: if a commit fails, memory is ahead of the disk; the writer refuses all further work
// and its owner must restart it, which recovers exactly the committed state.

import { assertInvariants } from '../ledger/invariants.ts';
import {
  type Account,
  type AccountBalance,
  type AccountInput,
  type AccountResultCode,
  accountResultCodes,
  accountResultIndex,
  type Balance,
  isSuccess,
  type Transfer,
  type TransferInput,
  transferResultCodes,
  transferResultIndex,
} from '../ledger/model.ts';
import {
  LedgerState,
  type OutcomeSink,
  outcomeSink,
  publicAccount,
  type TransferOutcome,
} from '../ledger/state.ts';
import { accountTransfers, balanceAt } from './history.ts';
import type {
  AccountHead,
  AccountTransfer,
  AccountTransfersQuery,
  CommittedRecord,
  Journal,
  JournalRecord,
  ScanResult,
  StoredExpiry,
  StoredRecord,
} from './journal.ts';
import { RecentEntries } from './recent-entries.ts';

export type WriterOp =
  | {
      kind: 'accounts';
      events: AccountInput[];
      /** Committed with the batch if, and only if, every account is `ok` or `exists`. */
      records?: JournalRecord[];
    }
  | {
      kind: 'transfers';
      events: TransferInput[];
      /** Committed with the batch if, and only if, every event of this op is `ok`. */
      records?: JournalRecord[];
    }
  /** Records on their own (registrations, PIN attempts, cursors): always committed. */
  | { kind: 'records'; events: []; records: JournalRecord[] };

/**
 * The outcomes of one batch: transfer outcomes of all ops in one set of typed arrays (so they
 * cross the thread boundary without per-event objects), account codes likewise, and where each
 * op's results start.
 */
export interface BatchResult {
  transfers: OutcomeSink;
  accounts: Uint8Array;
  offsets: Uint32Array;
}

export interface WriterOptions {
  journal: Journal;
  /**
   * Account counters written with each batch, longest-dirty first. Bounds how far back recovery
   * replays without ever writing all accounts at once (which would stall one commit).
   */
  checkpointAccountsPerBatch?: number;
  /** Check Σ debits = Σ credits over all accounts after every batch (tests, debug). */
  checkInvariantsEveryBatch?: boolean;
  resolvedPendingsMax?: number;
  idIndexCapacityMax?: number;
  /** Committed entries history walks find in memory (recent-entries.ts). */
  recentEntriesMax?: number;
  /** Engine clock in microseconds; defaults to the wall clock. */
  clockUs?: () => number;
}

export interface WriterStats {
  /** Durable commits (one fsync each on SQLite); a cycle with nothing to write is not counted. */
  batches: number;
  /** Submissions (client ops) carried by those commits: ops per commit = ops / batches. */
  ops: number;
  /** Journal records written by those commits. */
  records: number;
  transfers: number;
  accountsCheckpointed: number;
  /** Time spent applying in memory and committing, for "where the time goes" reports. */
  applyMs: number;
  commitMs: number;
  openPendings: number;
  accounts: number;
  dirtyAccounts: number;
  transferIds: number;
  /**
   * The OS thread id (Linux TID) of the thread the writer runs on, added by its worker so a
   * benchmark can attribute per-thread CPU (Node 20 names all its threads "node").
   */
  osThreadId?: number;
}

/**
 * Told of every durable commit's records, with the seqs the journal gave them (feed.ts: the
 * delivery feed). Called inside the serial cycle, so it sees commits in order.
 */
export type CommitFeed = (
  records: readonly CommittedRecord[],
  seqs: readonly number[],
  timestamp: number,
) => void;

const CHECKPOINT_ACCOUNTS_PER_BATCH_DEFAULT = 256;
const OK = transferResultIndex.ok;
const PREFETCH_ROWS_MAX = 100_000;

export class Writer {
  private readonly state: LedgerState;
  private readonly clockUs: () => number;
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private feed: CommitFeed | null = null;
  /** History walks read recently committed entries from here, the rest from the journal. */
  readonly recent: RecentEntries;
  private readonly stats = {
    batches: 0,
    ops: 0,
    records: 0,
    transfers: 0,
    accountsCheckpointed: 0,
    applyMs: 0,
    commitMs: 0,
  };

  private constructor(private readonly options: WriterOptions) {
    this.state = new LedgerState({
      resolvedPendingsMax: options.resolvedPendingsMax,
      idIndexCapacityMax: options.idIndexCapacityMax,
    });
    this.clockUs = options.clockUs ?? (() => Date.now() * 1000);
    this.recent = new RecentEntries(options.journal, options.recentEntriesMax);
  }

  /** Opens the journal and recovers the committed state, checking its invariants. */
  static async open(options: WriterOptions): Promise<Writer> {
    const writer = new Writer(options);
    await options.journal.open();
    const state = writer.state;
    await options.journal.recover({
      account: (account, dirtySinceTs) => state.loadAccount(account, dirtySinceTs),
      openPending: (transfer) => state.loadOpenPending(transfer),
      transferId: (id, timestamp) => state.loadTransferId(id, timestamp),
      lastTimestamp: (timestamp) => state.loadTimestamp(timestamp),
    });
    state.finishRecovery();
    assertInvariants(state.accounts.values());
    return writer;
  }

  /** Applies the ops in order and commits them as one durable batch. */
  submit(ops: readonly WriterOp[]): Promise<BatchResult> {
    return this.serial(() => this.cycle(ops));
  }

  /** Hands the records of every durable commit from now on to `feed` (null: to nobody). */
  setFeed(feed: CommitFeed | null): void {
    this.feed = feed;
  }

  /** Expires due pending transfers even when no traffic arrives. */
  tick(): Promise<BatchResult> {
    return this.serial(() => this.cycle([]));
  }

  lookupAccounts(ids: readonly string[]): Promise<Account[]> {
    return this.serial(async () =>
      ids.flatMap((id) => {
        const account = this.state.accounts.get(id);
        return account === undefined ? [] : [publicAccount(account)];
      }),
    );
  }

  /** By id: from memory if recent, else the id index gives candidate timestamps to read. */
  lookupTransfers(ids: readonly string[]): Promise<Transfer[]> {
    return this.serial(async () => {
      const found: Transfer[] = [];
      for (const id of ids) {
        const recent = this.state.recentTransfer(id);
        if (recent !== undefined) {
          found.push(recent);
          continue;
        }
        const candidates = await this.options.journal.transfersAt(
          this.state.transferCandidates(id),
        );
        const match = candidates.find((t) => t.id === id);
        if (match !== undefined) found.push(match);
      }
      return found;
    });
  }

  accountTransfers(query: AccountTransfersQuery): Promise<AccountTransfer[]> {
    return this.serial(async () => {
      const head = this.headOf(query.accountId);
      return head === null ? [] : accountTransfers(this.recent, head, query);
    });
  }

  balanceAt(accountId: string, timestamp: number): Promise<AccountBalance | null> {
    return this.serial(async () => {
      const head = this.headOf(accountId);
      return head === null ? null : balanceAt(this.recent, head, timestamp);
    });
  }

  /** Where the account's chain ends now, from memory (history walks start here). */
  headOf(accountId: string): AccountHead | null {
    const account = this.state.accounts.get(accountId);
    if (account === undefined) return null;
    return { accountId, createdTs: account.timestamp, lastEntryTs: account.lastEntryTs };
  }

  readRecords(stream: string, afterSeq: number, limit: number): Promise<StoredRecord[]> {
    return this.serial(() => this.options.journal.readRecords(stream, afterSeq, limit));
  }

  latestRecords(stream: string, limit: number): Promise<StoredRecord[]> {
    return this.serial(() => this.options.journal.latestRecords(stream, limit));
  }

  scanTransfers(afterTimestamp: number, limit: number): Promise<ScanResult<Transfer>> {
    return this.serial(() => this.options.journal.scanTransfers(afterTimestamp, limit));
  }

  scanExpiries(afterTimestamp: number, limit: number): Promise<ScanResult<StoredExpiry>> {
    return this.serial(() => this.options.journal.scanExpiries(afterTimestamp, limit));
  }

  getStats(): Promise<WriterStats> {
    return this.serial(async () => ({
      ...this.stats,
      openPendings: this.state.openPendingCount,
      accounts: this.state.accounts.size,
      dirtyAccounts: this.state.dirtyCount,
      transferIds: this.state.transferIdCount,
    }));
  }

  /** Writes a final checkpoint and closes the journal. */
  close(): Promise<void> {
    return this.serial(async () => {
      await this.commitCycle([], true, 0);
      await this.options.journal.close();
      this.failure = new Error('writer closed');
    });
  }

  /** Runs `work` after everything submitted before it; refuses work after a failure. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.failure !== null) throw this.failure;
      return work();
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Any failure inside a cycle leaves memory possibly ahead of the disk: stop for good. */
  private async cycle(ops: readonly WriterOp[]): Promise<BatchResult> {
    try {
      return await this.applyAndCommit(ops);
    } catch (error) {
      this.failure ??= new Error(`writer stopped: ${(error as Error).message}`);
      throw this.failure;
    }
  }

  private async applyAndCommit(ops: readonly WriterOp[]): Promise<BatchResult> {
    const startedMs = performance.now();
    const nowUs = this.clockUs();
    const state = this.state;
    state.expire(nowUs);
    await this.prefetch(ops);
    const result = emptyResult(ops);
    const records: CommittedRecord[] = [];
    let transferAt = 0;
    let accountAt = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.kind === 'records') {
        this.keepRecords(op.records, records);
      } else if (op.kind === 'accounts') {
        result.offsets[i] = accountAt;
        const codes = state.createAccounts(op.events, nowUs);
        for (const code of codes) result.accounts[accountAt++] = accountResultIndex[code];
        if (op.records !== undefined && codes.every(isSuccess))
          this.keepRecords(op.records, records);
      } else {
        result.offsets[i] = transferAt;
        state.applyTransfers(op.events, nowUs, result.transfers, transferAt);
        const allOk = allCodes(result.transfers.codes, transferAt, op.events.length, OK);
        transferAt += op.events.length;
        if (op.records !== undefined && allOk) this.keepRecords(op.records, records);
      }
    }
    const appliedMs = performance.now();
    this.stats.applyMs += appliedMs - startedMs;
    await this.commitCycle(records, false, ops.length);
    this.stats.commitMs += performance.now() - appliedMs;
    return result;
  }

  /** Takes an op's records for the commit, with the balances they asked for as of now. */
  private keepRecords(input: readonly JournalRecord[], into: CommittedRecord[]): void {
    for (const record of input) {
      if (record.balancesOf === undefined || record.balancesOf.length === 0) {
        into.push({ stream: record.stream, key: record.key, body: record.body, balances: null });
        continue;
      }
      // Built once as JSON for the journal and once as objects for the feed, which then need
      // not parse the JSON back.
      let json = '{';
      const values: Record<string, Balance> = {};
      for (const id of record.balancesOf) {
        const a = this.state.accounts.get(id);
        if (a === undefined || Object.hasOwn(values, id)) continue;
        values[id] = {
          debitsPending: a.debitsPending,
          debitsPosted: a.debitsPosted,
          creditsPending: a.creditsPending,
          creditsPosted: a.creditsPosted,
        };
        if (json.length > 1) json += ',';
        json += `${JSON.stringify(id)}:[${a.debitsPending},${a.debitsPosted},${a.creditsPending},${a.creditsPosted}]`;
      }
      into.push({
        stream: record.stream,
        key: record.key,
        body: record.body,
        balances: `${json}}`,
        balanceValues: values,
      });
    }
  }

  private async prefetch(ops: readonly WriterOp[]): Promise<void> {
    const events: TransferInput[] = [];
    for (const op of ops) if (op.kind === 'transfers') for (const e of op.events) events.push(e);
    const { transferTs, pendingTs } = this.state.missing(events);
    if (transferTs.length + pendingTs.length > PREFETCH_ROWS_MAX) {
      throw new Error(
        `writer: prefetch of ${transferTs.length + pendingTs.length} rows exceeds limit`,
      );
    }
    if (transferTs.length === 0 && pendingTs.length === 0) return;
    const journal = this.options.journal;
    const [transfers, pendings] = await Promise.all([
      transferTs.length > 0 ? journal.transfersAt(transferTs) : [],
      pendingTs.length > 0 ? journal.pendingsAt(pendingTs) : [],
    ]);
    this.state.warm(transfers, pendings);
  }

  private async commitCycle(
    records: CommittedRecord[],
    checkpointAll: boolean,
    ops: number,
  ): Promise<void> {
    const changes = this.state.takeChanges();
    const perBatch =
      this.options.checkpointAccountsPerBatch ?? CHECKPOINT_ACCOUNTS_PER_BATCH_DEFAULT;
    const checkpoint = this.state.takeCheckpoint(
      checkpointAll ? Number.POSITIVE_INFINITY : perBatch,
    );
    const empty =
      changes.accounts.length === 0 &&
      changes.transfers.length === 0 &&
      changes.expiries.length === 0 &&
      records.length === 0 &&
      checkpoint.accounts.length === 0;
    if (empty) return;
    const seqs = await this.options.journal.commit({
      ...changes,
      records,
      checkpoint: checkpoint.accounts,
      recoverFromTs: checkpoint.recoverFromTs,
    });
    this.recent.committed(changes.transfers, changes.expiries);
    if (this.feed !== null && records.length > 0) this.feed(records, seqs, changes.lastTimestamp);
    this.stats.batches++;
    this.stats.ops += ops;
    this.stats.records += records.length;
    this.stats.transfers += changes.transfers.length;
    this.stats.accountsCheckpointed += checkpoint.accounts.length;
    if (this.options.checkInvariantsEveryBatch) assertInvariants(this.state.accounts.values());
  }
}

function emptyResult(ops: readonly WriterOp[]): BatchResult {
  let transfers = 0;
  let accounts = 0;
  for (const op of ops) {
    if (op.kind === 'transfers') transfers += op.events.length;
    else if (op.kind === 'accounts') accounts += op.events.length;
  }
  return {
    transfers: outcomeSink(transfers),
    accounts: new Uint8Array(accounts),
    offsets: new Uint32Array(ops.length),
  };
}

function allCodes(codes: Uint8Array, start: number, count: number, code: number): boolean {
  for (let i = start; i < start + count; i++) if (codes[i] !== code) return false;
  return true;
}

/** One op's transfer outcomes as objects (tests, in-process callers). */
export function transferOutcomes(
  result: BatchResult,
  ops: readonly WriterOp[],
  index: number,
): TransferOutcome[] {
  const op = ops[index];
  if (op.kind !== 'transfers') throw new Error(`op ${index} is not a transfer op`);
  const start = result.offsets[index];
  return op.events.map((_, i) => ({
    code: transferResultCodes[result.transfers.codes[start + i]],
    timestamp: result.transfers.timestamps[start + i],
    amount: result.transfers.amounts[start + i],
  }));
}

/** One op's account result codes. */
export function accountCodes(
  result: BatchResult,
  ops: readonly WriterOp[],
  index: number,
): AccountResultCode[] {
  const op = ops[index];
  if (op.kind !== 'accounts') throw new Error(`op ${index} is not an account op`);
  const start = result.offsets[index];
  return op.events.map((_, i) => accountResultCodes[result.accounts[start + i]]);
}
