// The ledger's data model: accounts, transfers, flags, result codes and the limits on all of them.
// The ledger knows nothing about MSISDNs, tariffs or HTTP (ARCHITECTURE.md §1): ids are opaque
// strings, amounts are integers in the minor unit of the account's ledger (its currency).

/** Largest id, in UTF-16 code units. Ids are idempotency keys chosen by the caller. */
export const ID_LENGTH_MAX = 64;
/** Largest user reference (e.g. a receipt number) carried on a transfer. */
export const USER_REF_LENGTH_MAX = 64;
/** Largest owner reference carried on an account. */
export const OWNER_ID_LENGTH_MAX = 64;
/** Counters and amounts stay exact: every value must remain a safe integer. */
export const AMOUNT_MAX = Number.MAX_SAFE_INTEGER;
/** Longest pending timeout accepted: 30 days. */
export const TIMEOUT_SECONDS_MAX = 30 * 24 * 3600;
/** Most events in one writer batch (TigerBeetle uses 8,189; we keep the same order). */
export const BATCH_EVENTS_MAX = 8190;
/** Engine timestamps are microseconds since the Unix epoch. */
export const MICROS_PER_SECOND = 1_000_000;

export const AccountFlags = {
  none: 0,
  /** Reject a transfer that would make debits (pending + posted) exceed posted credits. */
  debitsMustNotExceedCredits: 1 << 0,
  /** Reject a transfer that would make credits (pending + posted) exceed posted debits. */
  creditsMustNotExceedDebits: 1 << 1,
} as const;
export const ACCOUNT_FLAGS_ALL =
  AccountFlags.debitsMustNotExceedCredits | AccountFlags.creditsMustNotExceedDebits;

export const TransferFlags = {
  none: 0,
  /** This event and the next one succeed or fail together; a chain ends at the first event without it. */
  linked: 1 << 0,
  /** Reserve the amount in the pending counters until posted, voided or expired. */
  pending: 1 << 1,
  /** Post (fully or partially) the pending transfer named by `pendingId`. */
  postPending: 1 << 2,
  /** Release the pending transfer named by `pendingId`. */
  voidPending: 1 << 3,
  /** Clamp the amount to what the debit account's bound allows. */
  balancingDebit: 1 << 4,
  /** Clamp the amount to what the credit account's bound allows. */
  balancingCredit: 1 << 5,
} as const;
export const TRANSFER_FLAGS_ALL =
  TransferFlags.linked |
  TransferFlags.pending |
  TransferFlags.postPending |
  TransferFlags.voidPending |
  TransferFlags.balancingDebit |
  TransferFlags.balancingCredit;

export interface AccountInput {
  id: string;
  /** The currency (or asset) partition: only accounts of the same ledger transact. */
  ledger: number;
  /** The account's kind, an application enum (wallet, fee revenue, float, …). */
  code: number;
  flags?: number;
  /** Links the account to its owner outside the ledger (a party id). */
  ownerId?: string;
  userData?: number;
}

export interface Account {
  id: string;
  ledger: number;
  code: number;
  flags: number;
  ownerId: string;
  userData: number;
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
  /** Engine-assigned creation time, microseconds. */
  timestamp: number;
}

export interface TransferInput {
  /** The idempotency key: a replay with identical fields returns `exists`. */
  id: string;
  /** May be empty on post/void (taken from the pending transfer). */
  debitAccountId?: string;
  creditAccountId?: string;
  /** Minor units. For balancing transfers: the most to move. For post: 0 means the full pending amount. */
  amount: number;
  /** The pending transfer a post/void resolves. */
  pendingId?: string;
  /** May be 0 on post/void (taken from the pending transfer). */
  ledger?: number;
  code?: number;
  flags?: number;
  /** Pending transfers only: seconds until the reservation expires; 0 means never. */
  timeoutSeconds?: number;
  userRef?: string;
  userData?: number;
}

/** A committed transfer, as stored and as returned by lookups. */
export interface Transfer {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  /** The amount actually moved (after balancing, after partial post). */
  amount: number;
  pendingId: string;
  ledger: number;
  code: number;
  flags: number;
  timeoutSeconds: number;
  userRef: string;
  userData: number;
  timestamp: number;
}

/** The four counters of an account at one instant. */
export interface Balance {
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
}

/** An account's counters right after a transfer or expiry touched it. */
export interface AccountBalance extends Balance {
  timestamp: number;
}

export const accountResultCodes = [
  'ok',
  'exists',
  'exists_with_different_fields',
  'id_must_not_be_empty',
  'id_too_long',
  'flags_are_invalid',
  'flags_are_mutually_exclusive',
  'ledger_must_not_be_zero',
  'code_must_not_be_zero',
  'owner_id_too_long',
  'user_data_invalid',
] as const;
export type AccountResultCode = (typeof accountResultCodes)[number];

export const transferResultCodes = [
  'ok',
  'exists',
  'exists_with_different_fields',
  'linked_event_failed',
  'linked_event_chain_open',
  'id_must_not_be_empty',
  'id_too_long',
  'flags_are_invalid',
  'flags_are_mutually_exclusive',
  'debit_account_id_must_not_be_empty',
  'credit_account_id_must_not_be_empty',
  'accounts_must_be_different',
  'pending_id_must_be_empty',
  'pending_id_must_not_be_empty',
  'pending_id_must_be_different',
  'timeout_reserved_for_pending_transfer',
  'timeout_too_large',
  'amount_must_not_be_zero',
  'amount_invalid',
  'ledger_must_not_be_zero',
  'code_must_not_be_zero',
  'user_ref_too_long',
  'user_data_invalid',
  'debit_account_not_found',
  'credit_account_not_found',
  'accounts_must_have_the_same_ledger',
  'transfer_must_have_the_same_ledger_as_accounts',
  'pending_transfer_not_found',
  'pending_transfer_not_pending',
  'pending_transfer_has_different_debit_account_id',
  'pending_transfer_has_different_credit_account_id',
  'pending_transfer_has_different_ledger',
  'pending_transfer_has_different_code',
  'exceeds_pending_transfer_amount',
  'pending_transfer_has_different_amount',
  'pending_transfer_already_posted',
  'pending_transfer_already_voided',
  'pending_transfer_expired',
  'overflow',
  'exceeds_credits',
  'exceeds_debits',
] as const;
export type TransferResultCode = (typeof transferResultCodes)[number];

/** Numeric codes are what crosses the thread boundary; names are what callers see. */
export const transferResultIndex: Readonly<Record<TransferResultCode, number>> = Object.freeze(
  Object.fromEntries(transferResultCodes.map((code, index) => [code, index])) as Record<
    TransferResultCode,
    number
  >,
);
export const accountResultIndex: Readonly<Record<AccountResultCode, number>> = Object.freeze(
  Object.fromEntries(accountResultCodes.map((code, index) => [code, index])) as Record<
    AccountResultCode,
    number
  >,
);

export interface TransferResult {
  result: TransferResultCode;
  /** Set for `ok` and `exists`: the committed transfer's timestamp and amount. */
  timestamp: number;
  amount: number;
}

export interface AccountResult {
  result: AccountResultCode;
}

/** What happened to a pending transfer. */
export type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

export function isSuccess(result: TransferResultCode | AccountResultCode): boolean {
  return result === 'ok' || result === 'exists';
}

/** Available balance of an account whose debits must not exceed its credits (a wallet). */
export function creditBalance(balance: Balance): number {
  return balance.creditsPosted - balance.debitsPosted - balance.debitsPending;
}

/** Available balance of an account whose credits must not exceed its debits (an asset). */
export function debitBalance(balance: Balance): number {
  return balance.debitsPosted - balance.creditsPosted - balance.creditsPending;
}
