// The payments service: every product over explicit dependencies. Channels (USSD, Daraja, the
// admin API) call these; none of them holds a business rule of its own.

import type { LedgerClient } from '../journal/client.ts';
import { operatorAccountInputs } from './accounts.ts';
import { type Clock, PaymentsContext, type PaymentsHooks } from './context.ts';
import {
  businessToBusiness,
  businessToCustomer,
  depositCash,
  fundAccount,
  moveBetweenOrgAccounts,
} from './disbursements.ts';
import { HeldDetails } from './held-details.ts';
import type { MarketConfig } from './market-config.ts';
import type { Outcome, Receipt } from './model.ts';
import { chargeDailyOverdraftFees, repayOverdraft } from './overdraft.ts';
import {
  activeCustomer,
  changePin,
  importCustomers,
  offerOverdraft,
  optInOverdraft,
  registerAgent,
  registerCustomer,
  registerOrganization,
  registerTill,
  resetPin,
  setCustomerStatus,
} from './parties.ts';
import { ReceiptBook } from './receipt-book.ts';
import { Registry } from './registry.ts';
import { ReversalAttempts, reverseByBusiness, reverseByCustomer } from './reversals.ts';
import type { HeldTransaction } from './review.ts';
import { balance, miniStatement, statement, statementCsv } from './statements.ts';
import {
  buyAirtime,
  buyGoods,
  payBill,
  recipientName,
  sendMoney,
  withdrawCash,
} from './transactions.ts';

type Tail<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;
type Bound<F extends (...args: never[]) => unknown> = (
  ...args: Tail<Parameters<F>>
) => ReturnType<F>;
/** Statements take the held payments' details after the context. */
type BoundWithHeld<F extends (...args: never[]) => unknown> = (
  ...args: Tail<Tail<Parameters<F>>>
) => ReturnType<F>;

export interface PaymentsOptions {
  ledger: LedgerClient;
  market: MarketConfig;
  /** Deployment secret that scrambles receipt numbers (not product configuration). */
  receiptKey: string;
  shard?: number;
  clock?: Clock;
  defaultOverdraftLimitCents?: number;
  reversalWindowMs?: number;
  hooks?: PaymentsHooks;
  /** How long a held transaction waits for an analyst before it is voided (decision 0009). */
  holdTimeoutMs?: number;
}

export interface PaymentsService {
  context: PaymentsContext;
  registerCustomer: Bound<typeof registerCustomer>;
  importCustomers: Bound<typeof importCustomers>;
  registerOrganization: Bound<typeof registerOrganization>;
  registerTill: Bound<typeof registerTill>;
  registerAgent: Bound<typeof registerAgent>;
  setCustomerStatus: Bound<typeof setCustomerStatus>;
  resetPin: Bound<typeof resetPin>;
  changePin: Bound<typeof changePin>;
  offerOverdraft: Bound<typeof offerOverdraft>;
  optInOverdraft: Bound<typeof optInOverdraft>;
  repayOverdraft: Bound<typeof repayOverdraft>;
  chargeDailyOverdraftFees: Bound<typeof chargeDailyOverdraftFees>;
  recipientName: Bound<typeof recipientName>;
  customer: Bound<typeof activeCustomer>;
  sendMoney: Bound<typeof sendMoney>;
  payBill: Bound<typeof payBill>;
  buyGoods: Bound<typeof buyGoods>;
  withdrawCash: Bound<typeof withdrawCash>;
  buyAirtime: Bound<typeof buyAirtime>;
  depositCash: Bound<typeof depositCash>;
  businessToCustomer: Bound<typeof businessToCustomer>;
  businessToBusiness: Bound<typeof businessToBusiness>;
  moveBetweenOrgAccounts: Bound<typeof moveBetweenOrgAccounts>;
  fundAccount: Bound<typeof fundAccount>;
  reverseByCustomer: (
    command: Parameters<typeof reverseByCustomer>[2],
  ) => ReturnType<typeof reverseByCustomer>;
  reverseByBusiness: Bound<typeof reverseByBusiness>;
  balance: Bound<typeof balance>;
  miniStatement: BoundWithHeld<typeof miniStatement>;
  statement: BoundWithHeld<typeof statement>;
  statementCsv: Bound<typeof statementCsv>;
  heldTransactions: () => HeldTransaction[];
  releaseHeld: (receipt: string, by: string) => Promise<Outcome<{ receipt: Receipt }>>;
  rejectHeld: (receipt: string, by: string) => Promise<Outcome<{ receipt: Receipt }>>;
  /** Voids the holds nobody decided on within the bound; returns how many it closed. */
  expireHolds: () => Promise<number>;
  /** An analyst's verdict on a transaction, kept for retraining the model. */
  labelTransaction: (receipt: string, label: 'fraud' | 'legit', by: string) => Promise<void>;
}

/** Builds the service and restores its state from the journal (parties, receipts, requests). */
export async function startPayments(options: PaymentsOptions): Promise<PaymentsService> {
  const shard = options.shard ?? 0;
  const registry = new Registry();
  await registry.load(options.ledger);
  const receipts = new ReceiptBook(options.ledger, {
    shard,
    key: options.receiptKey,
    utcOffsetMinutes: options.market.utcOffsetMinutes,
    epochYear: options.market.receipts.epochYear,
  });
  await receipts.load();
  const ctx = new PaymentsContext({
    ledger: options.ledger,
    market: options.market,
    registry,
    receipts,
    clock: options.clock ?? { nowMs: () => Date.now() },
    shard,
    defaultOverdraftLimitCents: options.defaultOverdraftLimitCents,
    reversalWindowMs: options.reversalWindowMs,
    hooks: options.hooks,
    holdTimeoutMs: options.holdTimeoutMs,
  });
  await ctx.loadRecentRequests();
  await ctx.reviews.load(ctx);
  const heldDetails = new HeldDetails();
  await heldDetails.load(options.ledger);
  const results = await options.ledger.createAccounts(
    operatorAccountInputs(shard, options.market.currency.ledger),
  );
  const bad = results.find((r) => r.result !== 'ok' && r.result !== 'exists');
  if (bad !== undefined) throw new Error(`operator accounts: ${bad.result}`);
  const attempts = new ReversalAttempts();
  await attempts.load(ctx);
  return createPaymentsService(ctx, attempts, heldDetails);
}

export function createPaymentsService(
  ctx: PaymentsContext,
  attempts: ReversalAttempts,
  heldDetails = new HeldDetails(),
): PaymentsService {
  // Statements name a held payment after its review is over by what it was while held.
  const beforeDecision = (receipt: string) => {
    const held = ctx.reviews.open.get(receipt);
    if (held !== undefined) heldDetails.remember(receipt, held.txn);
  };
  return {
    context: ctx,
    registerCustomer: (input) => registerCustomer(ctx, input),
    importCustomers: (inputs) => importCustomers(ctx, inputs),
    registerOrganization: (input) => registerOrganization(ctx, input),
    registerTill: (input) => registerTill(ctx, input),
    registerAgent: (input) => registerAgent(ctx, input),
    setCustomerStatus: (msisdn, status) => setCustomerStatus(ctx, msisdn, status),
    resetPin: (msisdn, pin) => resetPin(ctx, msisdn, pin),
    changePin: (msisdn, oldPin, newPin) => changePin(ctx, msisdn, oldPin, newPin),
    offerOverdraft: (msisdn, limitCents) => offerOverdraft(ctx, msisdn, limitCents),
    optInOverdraft: (msisdn, auth) => optInOverdraft(ctx, msisdn, auth),
    repayOverdraft: (command) => repayOverdraft(ctx, command),
    chargeDailyOverdraftFees: (nowMs) => chargeDailyOverdraftFees(ctx, nowMs),
    recipientName: (msisdn) => recipientName(ctx, msisdn),
    customer: (msisdn) => activeCustomer(ctx, msisdn),
    sendMoney: (command) => sendMoney(ctx, command),
    payBill: (command) => payBill(ctx, command),
    buyGoods: (command) => buyGoods(ctx, command),
    withdrawCash: (command) => withdrawCash(ctx, command),
    buyAirtime: (command) => buyAirtime(ctx, command),
    depositCash: (command) => depositCash(ctx, command),
    businessToCustomer: (command) => businessToCustomer(ctx, command),
    businessToBusiness: (command) => businessToBusiness(ctx, command),
    moveBetweenOrgAccounts: (command) => moveBetweenOrgAccounts(ctx, command),
    fundAccount: (command) => fundAccount(ctx, command),
    reverseByCustomer: (command) => reverseByCustomer(ctx, attempts, command),
    reverseByBusiness: (command) => reverseByBusiness(ctx, command),
    balance: (msisdn, auth) => balance(ctx, msisdn, auth),
    miniStatement: (msisdn, auth) => miniStatement(ctx, heldDetails, msisdn, auth),
    statement: (msisdn, fromMs, toMs) => statement(ctx, heldDetails, msisdn, fromMs, toMs),
    statementCsv: (rows) => statementCsv(ctx, rows),
    heldTransactions: () => ctx.reviews.list(),
    releaseHeld: (receipt, by) => {
      beforeDecision(receipt);
      return ctx.reviews.release(ctx, receipt, by);
    },
    rejectHeld: (receipt, by) => {
      beforeDecision(receipt);
      return ctx.reviews.reject(ctx, receipt, by);
    },
    expireHolds: () => {
      const nowMs = ctx.now();
      for (const held of ctx.reviews.open.values())
        if (held.expiresAtMs <= nowMs) heldDetails.remember(held.receipt, held.txn);
      return ctx.reviews.expireDue(ctx);
    },
    labelTransaction: (receipt, label, by) =>
      ctx.ledger.appendRecords([
        {
          stream: 'risk-label',
          key: receipt,
          body: JSON.stringify({ receipt, label, by, atMs: ctx.now() }),
        },
      ]),
  };
}
