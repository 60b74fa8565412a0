// Row shapes shared by both journals: one column naming, one mapping to the ledger's types.

import type { Balance, Transfer } from '../ledger/model.ts';
import type {
  AccountSnapshot,
  CommittedExpiry,
  CommittedTransfer,
  EntryFields,
} from '../ledger/state.ts';
import type { ChainEntry, StoredExpiry } from './journal.ts';

/** Both sides' counters after the row, and both sides' chain links. */
export interface EntryColumns {
  ts: number;
  debit_account_id: string;
  credit_account_id: string;
  dr_debits_pending: number;
  dr_debits_posted: number;
  dr_credits_pending: number;
  dr_credits_posted: number;
  cr_debits_pending: number;
  cr_debits_posted: number;
  cr_credits_pending: number;
  cr_credits_posted: number;
  dr_seq: number;
  dr_prev_ts: number;
  cr_seq: number;
  cr_prev_ts: number;
}

export interface TransferRow extends EntryColumns {
  id: string;
  amount: number;
  pending_id: string | null;
  ledger: number;
  code: number;
  flags: number;
  timeout_seconds: number;
  user_ref: string;
  user_data: number;
}

export interface ExpiryRow extends EntryColumns {
  pending_id: string;
  amount: number;
}

export interface AccountRow {
  id: string;
  ledger: number;
  code: number;
  flags: number;
  owner_id: string;
  user_data: number;
  ts: number;
  debits_pending: number;
  debits_posted: number;
  credits_pending: number;
  credits_posted: number;
  entry_count: number;
  last_entry_ts: number;
}

const ENTRY_TAIL = [
  'dr_debits_pending',
  'dr_debits_posted',
  'dr_credits_pending',
  'dr_credits_posted',
  'cr_debits_pending',
  'cr_debits_posted',
  'cr_credits_pending',
  'cr_credits_posted',
  'dr_seq',
  'dr_prev_ts',
  'cr_seq',
  'cr_prev_ts',
] as const;

/** Column order of the transfers table (both journals insert positionally in this order). */
export const TRANSFER_COLUMNS = [
  'ts',
  'id',
  'debit_account_id',
  'credit_account_id',
  'amount',
  'pending_id',
  'ledger',
  'code',
  'flags',
  'timeout_seconds',
  'user_ref',
  'user_data',
  ...ENTRY_TAIL,
] as const;

export const EXPIRY_COLUMNS = [
  'ts',
  'pending_id',
  'debit_account_id',
  'credit_account_id',
  'amount',
  ...ENTRY_TAIL,
] as const;

export const ACCOUNT_COLUMNS = [
  'id',
  'ledger',
  'code',
  'flags',
  'owner_id',
  'user_data',
  'ts',
  'debits_pending',
  'debits_posted',
  'credits_pending',
  'credits_posted',
  'entry_count',
  'last_entry_ts',
] as const;

export type SqlValue = string | number | null;

export function transferFromRow(row: TransferRow): Transfer {
  return {
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amount: Number(row.amount),
    pendingId: row.pending_id ?? '',
    ledger: Number(row.ledger),
    code: Number(row.code),
    flags: Number(row.flags),
    timeoutSeconds: Number(row.timeout_seconds),
    userRef: row.user_ref,
    userData: Number(row.user_data),
    timestamp: Number(row.ts),
  };
}

export function expiryFromRow(row: ExpiryRow): StoredExpiry {
  return {
    pendingId: row.pending_id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amount: Number(row.amount),
    timestamp: Number(row.ts),
  };
}

/** The counters of the debit ('dr') or credit ('cr') side of a row. */
export function sideBalance(row: EntryColumns, side: 'dr' | 'cr'): Balance {
  return side === 'dr'
    ? {
        debitsPending: Number(row.dr_debits_pending),
        debitsPosted: Number(row.dr_debits_posted),
        creditsPending: Number(row.dr_credits_pending),
        creditsPosted: Number(row.dr_credits_posted),
      }
    : {
        debitsPending: Number(row.cr_debits_pending),
        debitsPosted: Number(row.cr_debits_posted),
        creditsPending: Number(row.cr_credits_pending),
        creditsPosted: Number(row.cr_credits_posted),
      };
}

/** A transfer or expiry row as one entry of `accountId`'s chain. */
export function chainEntryOf(
  row: EntryColumns,
  accountId: string,
  transfer: Transfer | null,
): ChainEntry {
  const side = row.debit_account_id === accountId ? 'dr' : 'cr';
  if (side === 'cr' && row.credit_account_id !== accountId) {
    throw new Error(`journal: entry ${row.ts} does not touch ${accountId}`);
  }
  return {
    timestamp: Number(row.ts),
    transfer,
    balance: sideBalance(row, side),
    prevTs: Number(side === 'dr' ? row.dr_prev_ts : row.cr_prev_ts),
  };
}

export function accountFromRow(row: AccountRow): AccountSnapshot {
  return {
    id: row.id,
    ledger: Number(row.ledger),
    code: Number(row.code),
    flags: Number(row.flags),
    ownerId: row.owner_id,
    userData: Number(row.user_data),
    timestamp: Number(row.ts),
    debitsPending: Number(row.debits_pending),
    debitsPosted: Number(row.debits_posted),
    creditsPending: Number(row.credits_pending),
    creditsPosted: Number(row.credits_posted),
    entryCount: Number(row.entry_count),
    lastEntryTs: Number(row.last_entry_ts),
  };
}

function pushEntryTail(out: SqlValue[], e: EntryFields): void {
  out.push(e.drDebitsPending, e.drDebitsPosted, e.drCreditsPending, e.drCreditsPosted);
  out.push(e.crDebitsPending, e.crDebitsPosted, e.crCreditsPending, e.crCreditsPosted);
  out.push(e.drSeq, e.drPrevTs, e.crSeq, e.crPrevTs);
}

/** Appends a committed transfer's values in TRANSFER_COLUMNS order. */
export function pushTransferValues(out: SqlValue[], committed: CommittedTransfer): void {
  const t = committed.transfer;
  out.push(t.timestamp, t.id, t.debitAccountId, t.creditAccountId, t.amount);
  out.push(t.pendingId === '' ? null : t.pendingId, t.ledger, t.code, t.flags, t.timeoutSeconds);
  out.push(t.userRef, t.userData);
  pushEntryTail(out, committed);
}

/** Appends an expiry's values in EXPIRY_COLUMNS order. */
export function pushExpiryValues(out: SqlValue[], e: CommittedExpiry): void {
  out.push(e.timestamp, e.pendingId, e.debitAccountId, e.creditAccountId, e.amount);
  pushEntryTail(out, e);
}

/** Appends an account's values in ACCOUNT_COLUMNS order. */
export function pushAccountValues(out: SqlValue[], a: AccountSnapshot): void {
  out.push(a.id, a.ledger, a.code, a.flags, a.ownerId, a.userData, a.timestamp);
  out.push(
    a.debitsPending,
    a.debitsPosted,
    a.creditsPending,
    a.creditsPosted,
    a.entryCount,
    a.lastEntryTs,
  );
}

/**
 * Recovery: a row's absolute "balance after" values and chain positions replace what is held.
 * `replayedSince` remembers, per account, the first row replayed onto it: those accounts are
 * ahead of the accounts table, so they are dirty until their next checkpoint.
 */
export function applyEntry(
  accounts: Map<string, AccountSnapshot>,
  row: EntryColumns,
  replayedSince: Map<string, number>,
): void {
  const debit = accounts.get(row.debit_account_id);
  const credit = accounts.get(row.credit_account_id);
  if (debit === undefined || credit === undefined) {
    throw new Error(`journal: row ${row.ts} touches an unknown account`);
  }
  Object.assign(debit, sideBalance(row, 'dr'), {
    entryCount: Number(row.dr_seq),
    lastEntryTs: Number(row.ts),
  });
  Object.assign(credit, sideBalance(row, 'cr'), {
    entryCount: Number(row.cr_seq),
    lastEntryTs: Number(row.ts),
  });
  const ts = Number(row.ts);
  if (!replayedSince.has(debit.id)) replayedSince.set(debit.id, ts);
  if (!replayedSince.has(credit.id)) replayedSince.set(credit.id, ts);
}
