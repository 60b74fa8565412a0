// Balances and statements. Statements read the wallet's own history in the ledger (a bounded
// walk of the account's chain, never a scan of the journal), group the legs of each receipt
// into one row per business transaction, and show the principal, the charges and the running
// balance separately. A payment held for review reserves money with a pending transfer and is
// later released (void + the original chain) or voided; only posted money moves the running
// balance, so a held, rejected or expired payment is a row with its status and no effect on the
// balance, and a released one is a completed row at its release (decision 0011).

import type { AccountTransfer } from '../journal/journal.ts';
import { TransferFlags } from '../ledger/model.ts';
import { overdraftId, TRANSACTION_TYPE_NUMBERS, TransferCode, walletId } from './accounts.ts';
import { available, owed, type PaymentsContext } from './context.ts';
import type { HeldDetails } from './held-details.ts';
import type { Authorization, Outcome } from './model.ts';
import { refuse } from './model.ts';
import { activeCustomer, authorize } from './parties.ts';
import { holdVoidId } from './review.ts';

const TYPE_NAMES = Object.fromEntries(
  Object.entries(TRANSACTION_TYPE_NUMBERS).map(([name, n]) => [n, name]),
);
const STATEMENT_ROWS_MAX = 5000;
const HISTORY_PAGE = 1000;
const CHARGE_CODES: ReadonlySet<number> = new Set([TransferCode.fee, TransferCode.excise]);
const US_PER_MS = 1000;

/**
 * Completed: the money moved. Pending review: reserved by a hold, not yet paid. Rejected: the
 * hold was voided after review. Expired: nobody decided before the hold timed out. Only
 * completed rows move the balance.
 */
export type StatementStatus = 'completed' | 'pending_review' | 'rejected' | 'expired';

export interface StatementRow {
  receipt: string;
  /** When the money moved (for a held payment: when it was held, or rejected). */
  timestampMs: number;
  type: string;
  status: StatementStatus;
  /** The other party's account. */
  counterparty: string;
  description: string;
  paidInCents: number;
  withdrawnCents: number;
  /** Transaction costs (fees with their excise duty), shown apart from the principal. */
  chargesCents: number;
  /**
   * The wallet's balance after the transaction: posted money only, so a hold under review is
   * not subtracted (it is the row marked pending_review) until it is released.
   */
  balanceCents: number;
}

export async function balance(
  ctx: PaymentsContext,
  msisdn: string,
  auth: Authorization,
): Promise<
  Outcome<{ availableCents: number; overdraftLimitCents: number; overdraftOwedCents: number }>
> {
  const found = activeCustomer(ctx, msisdn);
  if (!found.ok) return found;
  const { customer } = found;
  return ctx.locks.with([customer.msisdn], async () => {
    const authorized = await authorize(ctx, customer, auth);
    if (!authorized.ok) return authorized;
    const accounts = await ctx.accounts([walletId(customer.msisdn), overdraftId(customer.msisdn)]);
    return {
      ok: true,
      availableCents: available(accounts.get(walletId(customer.msisdn))),
      overdraftLimitCents: customer.overdraft?.limitCents ?? 0,
      overdraftOwedCents: owed(accounts.get(overdraftId(customer.msisdn))),
    };
  });
}

/** One business transaction's legs on the wallet, split by what they did. */
interface Group {
  receipt: string;
  /** The chain's own legs (principal, fees, repayment, reversal, …). */
  moved: AccountTransfer[];
  hold?: AccountTransfer;
  release?: AccountTransfer;
  /** Index in the history of the leg that places the row. */
  position: number;
}

/** Groups a wallet's legs (oldest first) into one row per receipt, oldest first. */
export async function statementRows(
  ctx: PaymentsContext,
  held: HeldDetails,
  wallet: string,
  legs: AccountTransfer[],
): Promise<StatementRow[]> {
  const groups = new Map<string, Group>();
  legs.forEach((leg, index) => {
    const { transfer } = leg;
    const receipt = transfer.userRef || transfer.id;
    let group = groups.get(receipt);
    if (group === undefined) {
      group = { receipt, moved: [], position: index };
      groups.set(receipt, group);
    }
    if (transfer.code !== TransferCode.riskHold) {
      // A released payment sits where its money moved, not where it was held.
      if (group.moved.length === 0) group.position = index;
      group.moved.push(leg);
    } else if (transfer.flags & TransferFlags.pending) group.hold = leg;
    else group.release = leg;
  });
  const ordered = [...groups.values()].sort((a, b) => a.position - b.position);
  const decidedLater = await holdsDecidedAfter(ctx, ordered);
  const rows = ordered.map((group) =>
    group.moved.length > 0
      ? movedRow(wallet, group.moved)
      : heldRow(ctx, held, group, decidedLater),
  );
  for (const row of rows) row.description = describe(ctx, row);
  return rows;
}

/**
 * Receipts of holds in these legs whose release or rejection came after the last leg read (a
 * statement period that ends while they were under review).
 */
async function holdsDecidedAfter(ctx: PaymentsContext, groups: Group[]): Promise<Set<string>> {
  const undecided = groups.filter(
    (group) => group.moved.length === 0 && group.hold !== undefined && group.release === undefined,
  );
  if (undecided.length === 0) return new Set();
  const voids = await ctx.ledger.lookupTransfers(undecided.map((g) => holdVoidId(g.receipt)));
  return new Set(voids.map((transfer) => transfer.userRef));
}

function emptyRow(receipt: string, first: AccountTransfer['transfer']): StatementRow {
  return {
    receipt,
    timestampMs: Math.floor(first.timestamp / US_PER_MS),
    type: TYPE_NAMES[first.userData] ?? 'other',
    status: 'completed',
    counterparty: '',
    description: '',
    paidInCents: 0,
    withdrawnCents: 0,
    chargesCents: 0,
    balanceCents: 0,
  };
}

/** A transaction whose money moved: its legs summed, the balance after the last one. */
function movedRow(wallet: string, moved: AccountTransfer[]): StatementRow {
  const principal = moved.find((leg) => leg.transfer.code === TransferCode.principal) ?? moved[0];
  const row = emptyRow(principal.transfer.userRef || principal.transfer.id, principal.transfer);
  row.timestampMs = Math.floor(moved[0].transfer.timestamp / US_PER_MS);
  for (const { transfer } of moved) addLeg(row, wallet, transfer);
  row.balanceCents = postedOf(moved[moved.length - 1].balance);
  return row;
}

/**
 * A payment held for review that has not moved money (yet), with the principal, fee and payee it
 * had while held; beyond what is remembered of old holds, only the reservation is left.
 */
function heldRow(
  ctx: PaymentsContext,
  held: HeldDetails,
  group: Group,
  decidedLater: Set<string>,
): StatementRow {
  const placed = (group.hold ?? group.release) as AccountTransfer;
  const row = emptyRow(group.receipt, placed.transfer);
  row.balanceCents = postedOf(placed.balance);
  const { hold } = group;
  const timedOut =
    hold !== undefined &&
    hold.transfer.timestamp / US_PER_MS + hold.transfer.timeoutSeconds * 1000 <= ctx.now();
  // Voided with nothing moved is a rejection; decided after the period, it was under review then.
  row.status =
    group.release !== undefined
      ? 'rejected'
      : decidedLater.has(group.receipt)
        ? 'pending_review'
        : timedOut
          ? 'expired'
          : 'pending_review';
  const open = ctx.reviews.open.get(group.receipt);
  if (open !== undefined) held.remember(group.receipt, open.txn);
  const detail = held.get(group.receipt);
  if (detail !== undefined) {
    row.type = detail.type;
    row.withdrawnCents = detail.amountCents;
    row.chargesCents = detail.feeCents;
    row.counterparty = detail.to.account;
  } else {
    row.withdrawnCents = placed.transfer.amount;
    row.counterparty = placed.transfer.creditAccountId;
  }
  return row;
}

/** Posted money only: a reservation under review is not yet gone. */
function postedOf(balance: AccountTransfer['balance']): number {
  return balance.creditsPosted - balance.debitsPosted;
}

function addLeg(row: StatementRow, wallet: string, transfer: AccountTransfer['transfer']): void {
  const outgoing = transfer.debitAccountId === wallet;
  const other = outgoing ? transfer.creditAccountId : transfer.debitAccountId;
  // A reservation outside review (an outbound interop transfer, decision 0021) counts once, at
  // its pending leg: its post moves nothing more, its void gives it back.
  if (transfer.flags & TransferFlags.postPending) return;
  const amount = transfer.flags & TransferFlags.voidPending ? -transfer.amount : transfer.amount;
  if (CHARGE_CODES.has(transfer.code)) {
    if (outgoing) row.chargesCents += amount;
    return;
  }
  if (outgoing) row.withdrawnCents += amount;
  else row.paidInCents += amount;
  if (
    transfer.code === TransferCode.principal ||
    transfer.code === TransferCode.reversal ||
    row.counterparty === ''
  )
    row.counterparty = other;
}

const STATUS_NOTES: Record<StatementStatus, string> = {
  completed: '',
  pending_review: ' (pending review)',
  rejected: ' (stopped after review, money returned)',
  expired: ' (not reviewed in time, money returned)',
};

function describe(ctx: PaymentsContext, row: StatementRow): string {
  const type = row.type.replaceAll('_', ' ');
  const note = STATUS_NOTES[row.status];
  const [kind, id] = row.counterparty.split(':');
  // A reservation's only counterparty is the operator's suspense account: no payee to name.
  if (kind === 'operator' && row.status !== 'completed') return `${type}${note}`;
  const name =
    kind === 'wallet'
      ? nameOf(ctx, id)
      : kind === 'org'
        ? (ctx.registry.orgs.get(id)?.name ?? id)
        : kind === 'agent'
          ? (ctx.registry.agents.get(id)?.name ?? id)
          : kind === 'overdraft'
            ? 'OVERDRAFT'
            : // The interop transit account: the payee is another provider's customer.
              kind === 'interop'
              ? 'OTHER NETWORK'
              : kind.toUpperCase();
  const verb = row.withdrawnCents > row.paidInCents ? 'to' : 'from';
  return `${type} ${verb} ${name}`.trim() + note;
}

function nameOf(ctx: PaymentsContext, msisdn: string): string {
  const c = ctx.registry.customers.get(msisdn);
  return c === undefined ? msisdn : `${c.firstName} ${c.lastName} ${msisdn}`;
}

/** The last five transactions, newest first. */
export async function miniStatement(
  ctx: PaymentsContext,
  held: HeldDetails,
  msisdn: string,
  auth: Authorization,
): Promise<Outcome<{ rows: StatementRow[] }>> {
  const found = activeCustomer(ctx, msisdn);
  if (!found.ok) return found;
  const { customer } = found;
  return ctx.locks.with([customer.msisdn], async () => {
    const authorized = await authorize(ctx, customer, auth);
    if (!authorized.ok) return authorized;
    const wallet = walletId(customer.msisdn);
    const legs = await ctx.ledger.getAccountTransfers({
      accountId: wallet,
      limit: 40,
      reversed: true,
    });
    const rows = (await statementRows(ctx, held, wallet, legs.reverse())).reverse();
    return { ok: true, rows: rows.slice(0, 5) };
  });
}

/** A full statement for a date range, oldest first, with running balances. */
export async function statement(
  ctx: PaymentsContext,
  held: HeldDetails,
  msisdn: string,
  fromMs: number,
  toMs: number,
): Promise<Outcome<{ rows: StatementRow[]; openingBalanceCents: number; truncated: boolean }>> {
  const found = activeCustomer(ctx, msisdn);
  if (!found.ok) return found;
  if (!(fromMs <= toMs)) return refuse('invalid_request', 'from must not be after to');
  const wallet = walletId(found.customer.msisdn);
  const legs: AccountTransfer[] = [];
  let from = fromMs * 1000;
  const to = toMs * 1000 + 999;
  while (legs.length < STATEMENT_ROWS_MAX) {
    const page = await ctx.ledger.getAccountTransfers({
      accountId: wallet,
      fromTimestamp: from,
      toTimestamp: to,
      limit: HISTORY_PAGE,
    });
    legs.push(...page);
    if (page.length < HISTORY_PAGE) break;
    from = page[page.length - 1].transfer.timestamp + 1;
  }
  const opening = await ctx.ledger.getBalanceAt(wallet, fromMs * 1000 - 1);
  const openingBalanceCents = opening === null ? 0 : postedOf(opening);
  return {
    ok: true,
    rows: await statementRows(ctx, held, wallet, legs),
    openingBalanceCents,
    truncated: legs.length >= STATEMENT_ROWS_MAX,
  };
}

const CSV_HEADER =
  'Receipt No.,Completion Time,Details,Transaction Type,Transaction Status,Paid In,Withdrawn,Charges,Balance';
const CSV_STATUS: Record<StatementStatus, string> = {
  completed: 'Completed',
  pending_review: 'Pending review',
  rejected: 'Rejected',
  expired: 'Expired',
};

export function statementCsv(ctx: PaymentsContext, rows: StatementRow[]): string {
  const scale = ctx.market.currency.minorUnitScale;
  const money = (cents: number) => decimal(cents, scale);
  const offsetMs = ctx.market.utcOffsetMinutes * 60_000;
  const lines = rows.map((r) =>
    [
      r.receipt,
      new Date(r.timestampMs + offsetMs).toISOString().replace('T', ' ').slice(0, 19),
      csvField(r.description),
      r.type,
      CSV_STATUS[r.status],
      money(r.paidInCents),
      money(r.withdrawnCents),
      money(r.chargesCents),
      money(r.balanceCents),
    ].join(','),
  );
  return `${[CSV_HEADER, ...lines].join('\n')}\n`;
}

/** Integer cents as a plain decimal ("1234.50"), without floating point. */
function decimal(cents: number, scale: number): string {
  const digits = String(scale).length - 1;
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / scale);
  return digits === 0
    ? `${sign}${whole}`
    : `${sign}${whole}.${String(abs % scale).padStart(digits, '0')}`;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
