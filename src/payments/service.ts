// The payments service: every product over explicit dependencies. Channels (USSD, Daraja, the
// admin API) call these; none of them holds a business rule of its own.

import type { LedgerClient } from '../journal/client.ts';
import { operatorAccountInputs } from './accounts.ts';
import type { PaymentsApi } from './commands.ts';
import { type Clock, PaymentsContext, type PaymentsHooks } from './context.ts';
import {
  businessToBusiness,
  businessToCustomer,
  depositCash,
  fundAccount,
  moveBetweenOrgAccounts,
} from './disbursements.ts';
import { HeldDetails } from './held-details.ts';
import {
  interopFee,
  interopRemainingDailyCents,
  interopTransitBalance,
  openInteropTransit,
  reserveInterop,
  resolveInterop,
  settleInterop,
} from './interop-transit.ts';
import { checkAmount } from './limits.ts';
import type { MarketConfig } from './market-config.ts';
import { chargeDailyOverdraftFees, repayOverdraft } from './overdraft.ts';
import {
  activeCustomer,
  changePin,
  importCustomers,
  normalised,
  offerOverdraft,
  optInOverdraft,
  registerAgent,
  registerCustomer,
  registerOrganization,
  registerTill,
  resetPin,
  setCustomerStatus,
  unlockPin,
} from './parties.ts';
import {
  businessName,
  businessShortcodeOf,
  customerAccount,
  customerName,
  orgAccountRefs,
  orgBalances,
  principalAmount,
  recentTransactions,
  transactionStatus,
} from './queries.ts';
import { ReceiptBook } from './receipt-book.ts';
import { Registry } from './registry.ts';
import { ReversalAttempts, reverseByBusiness, reverseByCustomer } from './reversals.ts';
import { balance, miniStatement, statement, statementCsv } from './statements.ts';
import {
  activeAgent,
  activeOrg,
  activeTill,
  buyAirtime,
  buyGoods,
  payBill,
  recipientName,
  sendMoney,
  withdrawCash,
} from './transactions.ts';

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

/**
 * The service as this process builds it: the public surface (commands.ts) plus its context, which
 * only payments' own modules and tests may use.
 */
export interface PaymentsService extends PaymentsApi {
  context: PaymentsContext;
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
    market: ctx.market,
    shard: ctx.deps.shard,
    nowMs: () => ctx.now(),
    localDay: (timestampMs) => ctx.localDay(timestampMs),
    ...partyCommands(ctx),
    ...lookups(ctx),
    ...interopCommands(ctx),
    repayOverdraft: (command) => repayOverdraft(ctx, command),
    chargeDailyOverdraftFees: (nowMs) => chargeDailyOverdraftFees(ctx, nowMs),
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

/** The money of outbound interop transfers (src/interop reaches payments only through these). */
function interopCommands(ctx: PaymentsContext) {
  return {
    openInteropTransit: () => openInteropTransit(ctx),
    interopFee(payer, amountCents) {
      const fee = interopFee(ctx, payer, amountCents);
      return fee.ok ? { ok: true, feeCents: fee.fee.feeCents } : fee;
    },
    reserveInterop: (command) => reserveInterop(ctx, command),
    resolveInterop: (command) => resolveInterop(ctx, command),
    settleInterop: (command) => settleInterop(ctx, command),
    interopTransitBalance: () => interopTransitBalance(ctx),
    remainingDailyCents: (msisdn, atMs) => interopRemainingDailyCents(ctx, msisdn, atMs),
  } satisfies Partial<PaymentsApi>;
}

/** Registering and managing parties. */
function partyCommands(ctx: PaymentsContext) {
  return {
    registerCustomer: (input) => registerCustomer(ctx, input),
    importCustomers: (inputs) => importCustomers(ctx, inputs),
    registerOrganization: (input) => registerOrganization(ctx, input),
    registerTill: (input) => registerTill(ctx, input),
    registerAgent: (input) => registerAgent(ctx, input),
    setCustomerStatus: (msisdn, status) => setCustomerStatus(ctx, msisdn, status),
    resetPin: (msisdn, pin) => resetPin(ctx, msisdn, pin),
    unlockPin: (msisdn) => unlockPin(ctx, msisdn),
    changePin: (msisdn, oldPin, newPin) => changePin(ctx, msisdn, oldPin, newPin),
    offerOverdraft: (msisdn, limitCents) => offerOverdraft(ctx, msisdn, limitCents),
    optInOverdraft: (msisdn, auth) => optInOverdraft(ctx, msisdn, auth),
  } satisfies Partial<PaymentsApi>;
}

/** Read-only look-ups: parties, names, balances, receipts. */
function lookups(ctx: PaymentsContext) {
  return {
    recipientName: (msisdn) => recipientName(ctx, msisdn),
    customer: (msisdn) => activeCustomer(ctx, msisdn),
    customerAccount: (msisdn, rowsMax) => customerAccount(ctx, msisdn, rowsMax),
    normaliseMsisdn: (raw) => normalised(ctx, raw),
    amountProblem(type, amountCents) {
      const check = checkAmount(ctx.market.limits, type, amountCents);
      return check.ok ? null : check;
    },
    organization: (shortcode) => ctx.registry.orgs.get(shortcode),
    till: (tillNumber) => ctx.registry.tills.get(tillNumber),
    activeOrganization: (shortcode) => activeOrg(ctx, shortcode),
    activeTill: (tillNumber) => activeTill(ctx, tillNumber),
    activeAgent: (agentNumber, storeNumber) => activeAgent(ctx, agentNumber, storeNumber),
    customerName: (msisdn) => customerName(ctx, msisdn),
    customerSinceMs: (msisdn) => ctx.registry.customers.get(msisdn)?.registeredAtMs,
    businessName: (number) => businessName(ctx, number),
    businessShortcodeOf: (party) => businessShortcodeOf(ctx, party),
    orgAccountRefs: (shortcode) => orgAccountRefs(shortcode),
    orgBalances: (shortcode, accounts) => orgBalances(ctx, shortcode, accounts),
    transactionStatus: (receipt, party) => transactionStatus(ctx, receipt, party),
    principalAmount: (receipt) => principalAmount(ctx, receipt),
    recentTransactions: (limit) => recentTransactions(ctx, limit),
  } satisfies Partial<PaymentsApi>;
}
