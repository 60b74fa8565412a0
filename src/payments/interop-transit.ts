// The money side of an outbound interoperability transfer (src/interop/payer.ts): the payer's
// money is reserved into the interop transit account with a PENDING ledger transfer when the
// transfer is prepared, posted when the payee FSP's fulfilment arrives, voided on an error, a
// rejection or a time-out (the ledger's own timeout is the backstop). At settlement the posted
// amount leaves transit for the settlement organization's account. Separate from the products in
// transactions.ts on purpose: it is one pending transfer and its resolution, not a chain.
//
// The caller's journal records commit with each ledger step, so the interop state and the money
// never disagree; every ledger id is derived from the transfer id, so retries and duplicate
// callbacks resolve once (the ledger answers `exists` to the second).

import type { JournalRecord } from '../journal/journal.ts';
import { type AccountInput, TransferFlags, type TransferInput } from '../ledger/model.ts';
import { orgAccountId, TRANSACTION_TYPE_NUMBERS, TransferCode, walletId } from './accounts.ts';
import { PRINCIPAL_TAG, type SmsIntent, smsRecord, type TransactionRecord } from './chains.ts';
import { available, type PaymentsContext } from './context.ts';
import { checkDailyValue, remainingDailyCents } from './limits.ts';
import type { Authorization, Outcome, Refusal } from './model.ts';
import { refuse } from './model.ts';
import { activeCustomer, authorize } from './parties.ts';
import { decisionRecord } from './review.ts';
import { type FeeSplit, otherNetworksFee, quoteFee } from './tariffs.ts';
import { activeOrg, checkCommandAmount, limitRefusal } from './transactions.ts';

/** Where outbound interop money waits between the payer's wallet and settlement. */
export const INTEROP_TRANSIT_ACCOUNT = 'interop:transit';
/** Ledger codes of their own, so statements and reports can tell interop money apart. */
export const INTEROP_TRANSIT_ACCOUNT_CODE = 40;
export const INTEROP_TRANSFER_CODE = 20;
export const INTEROP_SETTLEMENT_CODE = 21;

export const interopReserveId = (transferId: string) => `iop:${transferId}:${PRINCIPAL_TAG}`;
const FEE_TAG = 'f';
const EXCISE_TAG = 'x';
/** Malipo's fee and its excise on an outbound transfer, reserved beside the principal. */
const interopLegId = (transferId: string, tag: string) => `iop:${transferId}:${tag}`;
/** One id for post and void: the ledger decides once between fulfilment and abort. */
export const interopResolveId = (transferId: string) => `iop:${transferId}:resolve`;

export async function openInteropTransit(ctx: PaymentsContext): Promise<void> {
  const input: AccountInput = {
    id: INTEROP_TRANSIT_ACCOUNT,
    ledger: ctx.ledgerNumber,
    code: INTEROP_TRANSIT_ACCOUNT_CODE,
    ownerId: 'operator',
  };
  const [result] = await ctx.ledger.createAccounts([input]);
  if (result.result !== 'ok' && result.result !== 'exists')
    throw new Error(`interop transit account: ${result.result}`);
}

/** Who pays an outbound interop transfer: a customer with their PIN, or a business (B2C). */
export type InteropPayer =
  | { kind: 'customer'; msisdn: string; auth: Authorization }
  | { kind: 'business'; shortcode: string };

/** `reserveInterop`: the money of one outbound transfer, reserved until the payee FSP answers. */
export interface InteropReserveCommand {
  payer: InteropPayer;
  transferId: string;
  /** What the payee FSP is paid: the recipient's amount plus its quoted fee. */
  transferAmountCents: number;
  /** Malipo's fee the payer was shown (`interopFee`); a different tariff now refuses. */
  feeCents: number;
  /** Seconds until the ledger voids the reservation by itself. */
  timeoutSeconds: number;
  /** What the risk engine scores: the transfer as a payment to the payee at the other provider. */
  scored: { payee: string; payeeFsp: string; amountCents: number; feeCents: number };
  /** Built once the payer's canonical id and the receipt are known; committed with the money. */
  records: (reserved: { payer: string; receipt: string }) => JournalRecord[];
}

export type InteropReserved = { payer: string; receipt: string; feeCents: number };

/**
 * Malipo's own fee on an outbound transfer (decision 0027): a customer pays the market's
 * `otherNetworks` tariff, a business its B2C tariff (as for a local B2C), banded on what the
 * recipient gets. Charged at the reservation, earned at the fulfilment, returned with the money.
 */
export function interopFee(
  ctx: PaymentsContext,
  payerKind: InteropPayer['kind'],
  amountCents: number,
): Outcome<{ fee: FeeSplit }> {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0)
    return refuse('invalid_request', 'amount must be a positive whole number of cents');
  if (payerKind === 'customer') {
    const fee = otherNetworksFee(ctx.market.tariffs, amountCents);
    return 'ok' in fee ? refuse('invalid_request', fee.message) : { ok: true, fee };
  }
  const quote = quoteFee(ctx.market.tariffs, { type: 'b2c', amountCents });
  return quote.ok ? { ok: true, fee: quote.sender } : refuse('invalid_request', quote.message);
}

/**
 * The reservation's legs, all PENDING with one timeout and linked so they commit together: the
 * transfer amount into transit, Malipo's fee and its excise into the operator's accounts (zero
 * legs left out). Each fee leg is resolved with the principal, so the fee is earned only when the
 * payee FSP fulfils and returned with the money otherwise.
 */
function reservationLegs(
  ctx: PaymentsContext,
  command: InteropReserveCommand,
  from: { principal: string; fee: string },
  receipt: string,
  fee: FeeSplit,
  typeNumber: number,
): TransferInput[] {
  const base = {
    ledger: ctx.ledgerNumber,
    flags: TransferFlags.pending | TransferFlags.linked,
    timeoutSeconds: command.timeoutSeconds,
    userRef: receipt,
    // Counted toward the daily limit like a send (the principal tag and the type number).
    userData: typeNumber,
  };
  const legs: TransferInput[] = [
    {
      ...base,
      id: interopReserveId(command.transferId),
      debitAccountId: from.principal,
      creditAccountId: INTEROP_TRANSIT_ACCOUNT,
      amount: command.transferAmountCents,
      code: INTEROP_TRANSFER_CODE,
    },
  ];
  const parts = [
    { tag: FEE_TAG, to: ctx.operator.fees, cents: fee.netFeeCents, code: TransferCode.fee },
    { tag: EXCISE_TAG, to: ctx.operator.excise, cents: fee.exciseCents, code: TransferCode.excise },
  ];
  for (const part of parts)
    if (part.cents > 0)
      legs.push({
        ...base,
        id: interopLegId(command.transferId, part.tag),
        debitAccountId: from.fee,
        creditAccountId: part.to,
        amount: part.cents,
        code: part.code,
      });
  legs[legs.length - 1] = { ...legs[legs.length - 1], flags: TransferFlags.pending };
  return legs;
}

/** The first real failure of a linked batch (the others say `linked_event_failed`). */
function batchResult(results: readonly { result: string }[]): string {
  const failed = results.find((r) => r.result !== 'ok' && r.result !== 'linked_event_failed');
  return failed?.result ?? (results.every((r) => r.result === 'ok') ? 'ok' : 'linked_event_failed');
}

/**
 * A customer payer, inside their lock: PIN, amount limits (those of send money), the daily
 * limit, the risk engine, then the pending legs. The ledger's bound on the wallet refuses an
 * overdrawn payer atomically. The transfer counts toward today's usage from its reservation, as
 * the ledger's own history counts it (usedToday reads the pending principal too).
 */
export async function reserveInterop(
  ctx: PaymentsContext,
  command: InteropReserveCommand,
): Promise<Outcome<InteropReserved>> {
  if (command.payer.kind === 'business')
    return reserveOrgForInterop(ctx, command, command.payer.shortcode);
  const found = activeCustomer(ctx, command.payer.msisdn);
  if (!found.ok) return found;
  const payer = found.customer;
  const bad = checkCommandAmount(ctx, 'send_money', command.transferAmountCents);
  if (bad !== null) return bad;
  const fee = chargedFee(ctx, command, 'customer');
  if (!fee.ok) return fee;
  const auth = command.payer.auth;
  return ctx.locks.with([payer.msisdn], async () => {
    const authorized = await authorize(ctx, payer, auth);
    if (!authorized.ok) return authorized;
    const nowMs = ctx.now();
    const used = await ctx.usedToday(payer.msisdn, nowMs);
    const daily = limitRefusal(
      checkDailyValue(ctx.market.limits, used, command.transferAmountCents),
    );
    if (daily !== null) return daily;
    const wallet = walletId(payer.msisdn);
    const from = { kind: 'customer', id: payer.msisdn, account: wallet } as const;
    const receipt = await ctx.deps.receipts.issue(nowMs);
    const risk = await scoreInterop(ctx, { ...command, receipt, from, type: 'send_money' }, nowMs);
    if ('ok' in risk) return risk;
    const legs = reservationLegs(
      ctx,
      command,
      { principal: wallet, fee: wallet },
      receipt,
      fee.fee,
      TRANSACTION_TYPE_NUMBERS.send_money,
    );
    const records = command.records({ payer: payer.msisdn, receipt });
    const results = await ctx.ledger.createTransfers(legs, {
      records: [...records, ...risk.records],
    });
    const result = batchResult(results);
    if (result === 'exceeds_credits')
      return refuse('insufficient_funds', 'insufficient funds in your M-PESA account');
    if (result === 'exists') return refuse('duplicate_request', 'already prepared');
    if (result !== 'ok') return refuse('invalid_request', `reservation refused: ${result}`);
    ctx.addUsage(payer.msisdn, nowMs, command.transferAmountCents);
    if (risk.txn !== null) ctx.deps.hooks?.committed?.(risk.txn);
    return { ok: true, payer: payer.msisdn, receipt, feeCents: fee.fee.feeCents };
  });
}

/** The fee the tariff says now, refused when it is not the one the payer was shown. */
function chargedFee(
  ctx: PaymentsContext,
  command: InteropReserveCommand,
  kind: InteropPayer['kind'],
): Outcome<{ fee: FeeSplit }> {
  const fee = interopFee(ctx, kind, command.scored.amountCents);
  if (!fee.ok) return fee;
  if (fee.fee.feeCents !== command.feeCents)
    return refuse('invalid_request', 'the fee changed; ask for a new quote');
  return fee;
}

/**
 * The same risk gate as a local payment, before any money moves: a block refuses; a hold or a
 * step-up refuses too, since an interop transfer cannot wait for an analyst or a code inside the
 * scheme's expiry. The decision is recorded either way (committed with the reservation when it
 * lets the transfer through, on its own when it refuses); a shadow decision never refuses.
 */
async function scoreInterop(
  ctx: PaymentsContext,
  command: Pick<InteropReserveCommand, 'transferId' | 'transferAmountCents' | 'scored'> & {
    receipt: string;
    from: TransactionRecord['from'];
    type: 'send_money' | 'b2c';
  },
  nowMs: number,
): Promise<Refusal | { records: JournalRecord[]; txn: TransactionRecord | null }> {
  const assess = ctx.deps.hooks?.assess;
  if (assess === undefined) return { records: [], txn: null };
  const { scored, from } = command;
  const wallet = from.account;
  const txn: TransactionRecord = {
    receipt: command.receipt,
    type: command.type,
    requestKey: command.transferId,
    timestampMs: nowMs,
    amountCents: scored.amountCents,
    feeCents: scored.feeCents,
    from,
    to: { kind: 'customer', id: scored.payee, account: INTEROP_TRANSIT_ACCOUNT },
    channel: 'interop',
    meta: { payeeFsp: scored.payeeFsp },
  };
  const balanceCents = available((await ctx.accounts([wallet])).get(wallet));
  // Short of funds is said as such, never as a fraud decision (as for a local payment).
  if (balanceCents < command.transferAmountCents)
    return refuse(
      'insufficient_funds',
      from.kind === 'customer'
        ? 'insufficient funds in your M-PESA account'
        : `insufficient funds in ${wallet}`,
    );
  const verdict = assess({ ...txn, fromBalanceCents: balanceCents });
  if (verdict === undefined) return { records: [], txn };
  const decision = decisionRecord(txn, verdict);
  if (verdict.shadow === true || verdict.action === 'allow') return { records: [decision], txn };
  await ctx.ledger.appendRecords([decision]);
  if (verdict.action === 'block')
    return refuse('blocked', 'Declined for your security. Call customer care');
  // No holds for interop: the scheme's expiry is shorter than any review.
  return refuse('blocked', 'This transfer needs a security check. Call customer care');
}

/**
 * B2C to another network: the business's utility account pays the transfer amount and its
 * charges account Malipo's fee, reserved the same way. The amount limits are B2C's; the ledger's
 * bounds refuse an underfunded business.
 */
async function reserveOrgForInterop(
  ctx: PaymentsContext,
  command: InteropReserveCommand,
  payerShortcode: string,
): Promise<Outcome<InteropReserved>> {
  const found = activeOrg(ctx, payerShortcode);
  if (!found.ok) return found;
  const bad = checkCommandAmount(ctx, 'b2c', command.transferAmountCents);
  if (bad !== null) return bad;
  const fee = chargedFee(ctx, command, 'business');
  if (!fee.ok) return fee;
  const { shortcode } = found.org;
  const utility = orgAccountId(shortcode, 'utility');
  const charges = orgAccountId(shortcode, 'charges');
  const from = { kind: 'org', id: shortcode, account: utility } as const;
  const nowMs = ctx.now();
  const receipt = await ctx.deps.receipts.issue(nowMs);
  const risk = await scoreInterop(ctx, { ...command, receipt, from, type: 'b2c' }, nowMs);
  if ('ok' in risk) return risk;
  const legs = reservationLegs(
    ctx,
    command,
    { principal: utility, fee: charges },
    receipt,
    fee.fee,
    TRANSACTION_TYPE_NUMBERS.b2c,
  );
  const results = await ctx.ledger.createTransfers(legs, {
    records: [...command.records({ payer: shortcode, receipt }), ...risk.records],
  });
  const failed = results.findIndex((r) => r.result === 'exceeds_credits');
  if (failed >= 0)
    return refuse(
      'insufficient_funds',
      failed === 0
        ? `insufficient funds in ${utility}`
        : 'insufficient funds in the charges paid account',
    );
  const result = batchResult(results);
  if (result === 'exists') return refuse('duplicate_request', 'already prepared');
  if (result !== 'ok') return refuse('invalid_request', `reservation refused: ${result}`);
  if (risk.txn !== null) ctx.deps.hooks?.committed?.(risk.txn);
  return { ok: true, payer: shortcode, receipt, feeCents: fee.fee.feeCents };
}

/** How a resolution went: done now, done before (a duplicate), or the ledger's timeout won. */
export type InteropResolution = 'done' | 'already' | 'expired' | 'failed';

/** `resolveInterop`: the payee FSP's answer to an outbound transfer, with the caller's records. */
export interface InteropResolveCommand {
  transferId: string;
  /** post: fulfilled (the fee is earned); void: aborted, rejected or expired (all comes back). */
  how: 'post' | 'void';
  records: JournalRecord[];
}

/**
 * Posts or voids every pending leg of the reservation in one linked batch (the principal's
 * resolution keeps its id, so the ledger decides once between fulfilment and abort). Fee legs are
 * found by their ids: a reservation from before the fee, or with a zero fee, has none.
 */
export async function resolveInterop(
  ctx: PaymentsContext,
  command: InteropResolveCommand,
): Promise<InteropResolution> {
  const { transferId, how } = command;
  const pendingIds = [
    interopReserveId(transferId),
    interopLegId(transferId, FEE_TAG),
    interopLegId(transferId, EXCISE_TAG),
  ];
  const found = await ctx.ledger.lookupTransfers(pendingIds);
  const byId = new Map(found.map((t) => [t.id, t]));
  const principal = byId.get(pendingIds[0]);
  const userRef = principal?.userRef ?? transferId;
  const legs: TransferInput[] = pendingIds
    .filter((id, i) => i === 0 || byId.has(id))
    .map((pendingId, i) => ({
      id: i === 0 ? interopResolveId(transferId) : `${interopResolveId(transferId)}-${i}`,
      pendingId,
      amount: 0,
      ledger: ctx.ledgerNumber,
      code: byId.get(pendingId)?.code ?? INTEROP_TRANSFER_CODE,
      flags:
        (how === 'post' ? TransferFlags.postPending : TransferFlags.voidPending) |
        TransferFlags.linked,
      userRef,
    }));
  const last = legs.length - 1;
  legs[last] = { ...legs[last], flags: (legs[last].flags ?? 0) & ~TransferFlags.linked };
  const result = batchResult(await ctx.ledger.createTransfers(legs, { records: command.records }));
  if (result === 'ok') return 'done';
  if (result === 'pending_transfer_expired') return 'expired';
  if (
    result === 'exists' ||
    result.startsWith('exists_with_different') ||
    result === 'pending_transfer_already_posted' ||
    result === 'pending_transfer_already_voided'
  )
    return 'already';
  return 'failed';
}

/** Settlement: what was posted into transit for a counterpart leaves for the organization's utility account. */
export interface InteropSettleCommand {
  settlementId: string;
  /** The organization that pays inbound transfers out and receives the settled outbound money. */
  settlementShortcode: string;
  amountCents: number;
  records: JournalRecord[];
}

export async function settleInterop(
  ctx: PaymentsContext,
  command: InteropSettleCommand,
): Promise<'done' | 'already' | 'failed'> {
  const { settlementId, settlementShortcode, amountCents, records } = command;
  if (amountCents === 0) {
    await ctx.ledger.appendRecords(records);
    return 'done';
  }
  const [result] = await ctx.ledger.createTransfers(
    [
      {
        id: `iop-settle:${settlementId}`,
        debitAccountId: INTEROP_TRANSIT_ACCOUNT,
        creditAccountId: orgAccountId(settlementShortcode, 'utility'),
        amount: amountCents,
        ledger: ctx.ledgerNumber,
        code: INTEROP_SETTLEMENT_CODE,
        userRef: settlementId,
      },
    ],
    { records },
  );
  if (result.result === 'ok') return 'done';
  return result.result === 'exists' ? 'already' : 'failed';
}

/**
 * An SMS to a customer about an interop transfer, committed with its money; the dispatcher fills
 * `balanceCents` from the wallet's balance stored with the record.
 */
export function interopSmsRecord(
  key: string,
  msisdn: string,
  message: SmsIntent['message'],
): JournalRecord {
  return smsRecord(key, { to: msisdn, message, balanceFrom: walletId(msisdn) });
}

/** What the customer may still send today (for the SMS), counting this transfer. */
export async function interopRemainingDailyCents(
  ctx: PaymentsContext,
  msisdn: string,
  atMs: number,
): Promise<number> {
  return remainingDailyCents(ctx.market.limits, await ctx.usedToday(msisdn, atMs));
}

/** The transit account: posted (fulfilled, not yet settled) and pending (prepared) money. */
export async function interopTransitBalance(
  ctx: PaymentsContext,
): Promise<{ postedCents: number; pendingCents: number }> {
  const [transit] = await ctx.ledger.lookupAccounts([INTEROP_TRANSIT_ACCOUNT]);
  return {
    postedCents: (transit?.creditsPosted ?? 0) - (transit?.debitsPosted ?? 0),
    pendingCents: (transit?.creditsPending ?? 0) - (transit?.debitsPending ?? 0),
  };
}

export type { SmsIntent };
