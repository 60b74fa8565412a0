// Balances and statements. Statements read the wallet's own history in the ledger (a bounded
// walk of the account's chain, never a scan of the journal), group the legs of each receipt,
// and show the principal, the charges and the running balance separately.

import type { AccountTransfer } from '../journal/journal.ts';
import { overdraftId, TRANSACTION_TYPE_NUMBERS, TransferCode, walletId } from './accounts.ts';
import { available, owed, type PaymentsContext } from './context.ts';
import type { Authorization, Outcome } from './model.ts';
import { refuse } from './model.ts';
import { activeCustomer, authorize } from './parties.ts';

const TYPE_NAMES = Object.fromEntries(
  Object.entries(TRANSACTION_TYPE_NUMBERS).map(([name, n]) => [n, name]),
);
const STATEMENT_ROWS_MAX = 5000;
const HISTORY_PAGE = 1000;
const CHARGE_CODES: ReadonlySet<number> = new Set([TransferCode.fee, TransferCode.excise]);

export interface StatementRow {
  receipt: string;
  timestampMs: number;
  type: string;
  /** The other party's account. */
  counterparty: string;
  description: string;
  paidInCents: number;
  withdrawnCents: number;
  /** Transaction costs (fees with their excise duty), shown apart from the principal. */
  chargesCents: number;
  /** Available balance after the transaction. */
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

/** Groups a wallet's legs by receipt, in the order given. */
export function statementRows(
  ctx: PaymentsContext,
  wallet: string,
  legs: AccountTransfer[],
): StatementRow[] {
  const rows: StatementRow[] = [];
  const byReceipt = new Map<string, StatementRow>();
  for (const { transfer, balance } of legs) {
    const receipt = transfer.userRef || transfer.id;
    let row = byReceipt.get(receipt);
    if (row === undefined) {
      row = {
        receipt,
        timestampMs: Math.floor(transfer.timestamp / 1000),
        type: TYPE_NAMES[transfer.userData] ?? 'other',
        counterparty: '',
        description: '',
        paidInCents: 0,
        withdrawnCents: 0,
        chargesCents: 0,
        balanceCents: 0,
      };
      byReceipt.set(receipt, row);
      rows.push(row);
    }
    addLeg(row, wallet, transfer);
    row.balanceCents = balance.creditsPosted - balance.debitsPosted - balance.debitsPending;
  }
  for (const row of rows) row.description = describe(ctx, row);
  return rows;
}

function addLeg(row: StatementRow, wallet: string, transfer: AccountTransfer['transfer']): void {
  const outgoing = transfer.debitAccountId === wallet;
  const other = outgoing ? transfer.creditAccountId : transfer.debitAccountId;
  if (CHARGE_CODES.has(transfer.code)) {
    if (outgoing) row.chargesCents += transfer.amount;
    return;
  }
  if (outgoing) row.withdrawnCents += transfer.amount;
  else row.paidInCents += transfer.amount;
  if (
    transfer.code === TransferCode.principal ||
    transfer.code === TransferCode.reversal ||
    row.counterparty === ''
  )
    row.counterparty = other;
}

function describe(ctx: PaymentsContext, row: StatementRow): string {
  const [kind, id] = row.counterparty.split(':');
  const name =
    kind === 'wallet'
      ? nameOf(ctx, id)
      : kind === 'org'
        ? (ctx.registry.orgs.get(id)?.name ?? id)
        : kind === 'agent'
          ? (ctx.registry.agents.get(id)?.name ?? id)
          : kind === 'overdraft'
            ? 'OVERDRAFT'
            : kind.toUpperCase();
  const verb = row.withdrawnCents > row.paidInCents ? 'to' : 'from';
  return `${row.type.replaceAll('_', ' ')} ${verb} ${name}`.trim();
}

function nameOf(ctx: PaymentsContext, msisdn: string): string {
  const c = ctx.registry.customers.get(msisdn);
  return c === undefined ? msisdn : `${c.firstName} ${c.lastName} ${msisdn}`;
}

/** The last five transactions, newest first. */
export async function miniStatement(
  ctx: PaymentsContext,
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
    const rows = statementRows(ctx, wallet, legs.reverse()).reverse();
    return { ok: true, rows: rows.slice(0, 5) };
  });
}

/** A full statement for a date range, oldest first, with running balances. */
export async function statement(
  ctx: PaymentsContext,
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
  const openingBalanceCents =
    opening === null ? 0 : opening.creditsPosted - opening.debitsPosted - opening.debitsPending;
  return {
    ok: true,
    rows: statementRows(ctx, wallet, legs),
    openingBalanceCents,
    truncated: legs.length >= STATEMENT_ROWS_MAX,
  };
}

const CSV_HEADER =
  'Receipt No.,Completion Time,Details,Transaction Type,Paid In,Withdrawn,Charges,Balance';

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
