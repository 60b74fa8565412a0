// The products under randomized traffic: at least 100,000 mixed transactions (every type, with
// mistakes, wrong PINs, replayed request keys, reversals, overdraft draws and repayments, days
// passing with their overdraft fees) driven by many concurrent callers on a real ledger. Then
// the books are checked independently of the service's own bookkeeping: from the ledger's
// accounts, from every stored transfer and record, from a reference model fed only by what the
// callers asked and were answered, and from the journal recomputed after close.
//
// MALIPO_SEED=<n> replays a seed's command stream (MALIPO_SEED=random draws one);
// MALIPO_SIM_OPS=<n> changes the number of ops (at least 100,000 for the acceptance criterion).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { StoredRecord } from '../journal/journal.ts';
import { openJournal } from '../journal/open.ts';
import type { JournalConfig } from '../journal/protocol.ts';
import { recomputeBalances } from '../journal/recompute.ts';
import { checkInvariants } from '../ledger/invariants.ts';
import type { Account, Transfer } from '../ledger/model.ts';
import {
  AccountCode,
  agentCommissionId,
  agentFloatId,
  orgAccountId,
  overdraftId,
  TransferCode,
  walletId,
} from './accounts.ts';
import { SMS_STREAM, type TransactionRecord, TXN_STREAM } from './chains.ts';
import {
  agentCommission,
  type FeeRequest,
  type FeeSplit,
  findBand,
  overdraftAccessFee,
  ruleFeeCents,
  splitExcise,
  tariffTableFor,
} from './tariffs.ts';
import {
  type Cast,
  customerByNumber,
  type Op,
  type OpResult,
  requestKeyOf,
  Simulation,
} from './testing/simulation.ts';
import { openWorld, type World } from './testing/world.ts';

const SEED_DEFAULT = 20_240_601;
const OPS = Number(process.env.MALIPO_SIM_OPS ?? 100_000);
/**
 * Callers with a command in flight: enough for the ledger to batch and for locks to queue.
 * MALIPO_SIM_CONCURRENCY=1 replays a seed's outcomes exactly (slowly).
 */
const CONCURRENCY = Number(process.env.MALIPO_SIM_CONCURRENCY ?? 64);
/** Every this many ops the callers drain, and a few ops run alone to prove refusals change nothing. */
const PAUSE_EVERY_OPS = 20_000;
const PROBES_PER_PAUSE = 60;
const READ_PAGE_ROWS = 10_000;
const TEST_TIMEOUT_MS = 15 * 60_000;
/**
 * The world's clock moves the service's time but not the ledger writer's, and the reversal
 * window compares the two (service now − engine timestamp of the original): each simulated day
 * adds a day to every transaction's apparent age. A three-day window keeps customer reversals
 * possible for the first three simulated days and expired after, so both paths run.
 */
const REVERSAL_WINDOW_MS = 3 * 86_400_000;
/** Mismatches listed in one failure message. */
const SHOWN_MAX = 10;

function seedFromEnv(): number {
  const raw = process.env.MALIPO_SEED;
  if (raw === undefined || raw === '') return SEED_DEFAULT;
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`MALIPO_SEED must be an integer: ${raw}`);
  return seed;
}

// ---- Reading the books back ------------------------------------------------------------------

interface Books {
  accounts: Map<string, Account>;
  /** Every stored transfer, in timestamp order. */
  transfers: Transfer[];
  txns: TransactionRecord[];
  sms: StoredRecord[];
  /** What the writer says it holds, to prove the lists above are complete. */
  ledgerTransfers: number;
  ledgerAccounts: number;
}

/** Every account the parties and the operator own, by the service's naming. */
function knownAccountIds(world: World): string[] {
  const { registry, operator } = world.payments.context;
  const ids = Object.values(operator);
  for (const c of registry.customers.values()) {
    ids.push(walletId(c.msisdn));
    if (c.overdraft !== null) ids.push(overdraftId(c.msisdn));
  }
  for (const shortcode of registry.orgs.keys())
    for (const account of ['utility', 'working', 'charges'] as const)
      ids.push(orgAccountId(shortcode, account));
  for (const agent of registry.agents.keys())
    ids.push(agentFloatId(agent), agentCommissionId(agent));
  return ids;
}

async function readAllRecords(world: World, stream: string): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  for (;;) {
    const page = await world.ledger.readRecords(stream, all.at(-1)?.seq ?? 0, READ_PAGE_ROWS);
    all.push(...page);
    if (page.length < READ_PAGE_ROWS) return all;
  }
}

async function readBooks(world: World): Promise<Books> {
  const ids = knownAccountIds(world);
  const found = await world.ledger.lookupAccounts(ids);
  const transfers: Transfer[] = [];
  let after = 0;
  for (;;) {
    const page = await world.ledger.scanTransfers(after, READ_PAGE_ROWS);
    transfers.push(...page.rows);
    if (page.rows.length < READ_PAGE_ROWS) break;
    after = page.nextTimestamp;
  }
  const txns = (await readAllRecords(world, TXN_STREAM)).map(
    (r) => JSON.parse(r.body) as TransactionRecord,
  );
  const stats = await world.ledger.stats();
  return {
    accounts: new Map(found.map((a) => [a.id, a])),
    transfers,
    txns,
    sms: await readAllRecords(world, SMS_STREAM),
    ledgerTransfers: stats.transfers,
    ledgerAccounts: stats.accounts,
  };
}

const net = (a: Account | undefined) => (a === undefined ? 0 : a.creditsPosted - a.debitsPosted);

function mismatches(list: string[]): string {
  return `${list.length} mismatch(es):\n  ${list.slice(0, SHOWN_MAX).join('\n  ')}`;
}

// ---- Refusals leave the ledger untouched (probed with nothing else in flight) ---------------

/** Committed transfers and every account's counters: what a refusal must not change. */
async function fingerprint(world: World): Promise<string> {
  const stats = await world.ledger.stats();
  const accounts = await world.ledger.lookupAccounts(knownAccountIds(world));
  const counters = accounts.map(
    (a) => `${a.id}:${a.debitsPending},${a.debitsPosted},${a.creditsPending},${a.creditsPosted}`,
  );
  return `${stats.transfers}|${stats.accounts}|${counters.join(';')}`;
}

interface Probes {
  /** Refused ops run alone, each with the ledger compared before and after. */
  refusals: number;
  failures: string[];
}

async function probeRefusals(world: World, sim: Simulation, count: number, probes: Probes) {
  let before = await fingerprint(world);
  for (let i = 0; i < count; i++) {
    const result = await sim.step();
    const after = await fingerprint(world);
    if (!result.ok) probes.refusals++;
    if (!result.ok && after !== before)
      probes.failures.push(
        `op ${result.index} (${result.op.kind}, ${result.error}) changed the ledger`,
      );
    before = after;
  }
}

// ---- A reference model of every account, fed only by the callers' commands and answers ------

/**
 * Each customer's wallet and overdraft are modelled together as one position (wallet − owed):
 * draws and repayments move money between the two and are the service's choice, while the
 * position changes only by what the customer paid, received and was charged.
 */
const position = (msisdn: string) => `position:${msisdn}`;
/** Where the model puts daily overdraft fees, whose fee/excise split only the ledger knows. */
const DAILY_FEES = 'model:daily-fees';

/** One side's fee, split as the tariff defines it (not as the service's legs do). */
function sideFees(world: World, request: FeeRequest): { sender: FeeSplit; receiver: FeeSplit } {
  const tariffs = world.market.tariffs;
  const band = findBand(tariffTableFor(tariffs, request).bands, request.amountCents);
  if (band === undefined) throw new Error(`no tariff band for ${JSON.stringify(request)}`);
  const split = (fee: number) =>
    splitExcise(fee, tariffs.exciseRateBasisPoints, tariffs.exciseMode);
  return {
    sender: split(ruleFeeCents(band.senderFee, request.amountCents)),
    receiver: split(ruleFeeCents(band.receiverFee, request.amountCents)),
  };
}

class Model {
  readonly nets = new Map<string, number>();
  /** Receipts whose fee as told to the payer differs from the tariff's. */
  readonly feeMismatches: string[] = [];
  /** Answers the model cannot account for (it records them rather than stop every check). */
  readonly problems: string[] = [];
  private readonly byIndex = new Map<number, OpResult>();

  constructor(
    private readonly world: World,
    private readonly cast: Cast,
    results: readonly OpResult[],
  ) {
    for (const r of results) this.byIndex.set(r.index, r);
    for (const r of results) {
      try {
        this.apply(r);
      } catch (error) {
        this.problems.push(`op ${r.index} (${r.op.kind}): ${(error as Error).message}`);
      }
    }
  }

  /** Daily overdraft fees, per customer as their records state (their total is checked apart). */
  applyDailyFees(txns: readonly TransactionRecord[]): void {
    for (const txn of txns)
      if (txn.type === 'overdraft_daily_fee')
        this.move(position(txn.from.id), DAILY_FEES, txn.amountCents);
  }

  private get ops() {
    return this.world.payments.context.operator;
  }

  move(from: string, to: string, amountCents: number): void {
    this.nets.set(from, (this.nets.get(from) ?? 0) - amountCents);
    this.nets.set(to, (this.nets.get(to) ?? 0) + amountCents);
  }

  private charge(payer: string, fee: FeeSplit): void {
    this.move(payer, this.ops.fees, fee.netFeeCents);
    this.move(payer, this.ops.excise, fee.exciseCents);
  }

  private customer(raw: string): string {
    const found = customerByNumber(this.cast, raw);
    if (found === undefined) throw new Error(`committed op names unknown customer ${raw}`);
    return position(found.msisdn);
  }

  private tillOrg(tillNumber: string): string {
    const till = this.cast.tills.find((t) => t.tillNumber === tillNumber);
    if (till === undefined) throw new Error(`committed op names unknown till ${tillNumber}`);
    return till.shortcode;
  }

  private commission(type: 'agent_withdrawal' | 'agent_deposit', agent: string, amount: number) {
    const quote = agentCommission(this.world.market.commissions, type, amount);
    if (!quote.ok) throw new Error(quote.message);
    const from = quote.source === 'fee_revenue' ? this.ops.fees : this.ops.commission;
    this.move(from, agentCommissionId(agent), quote.commissionCents);
  }

  /** The payer's fee as the receipt states it must be the tariff's sender side, excise included. */
  private told(result: OpResult, fee: FeeSplit): void {
    if (result.receipt !== undefined && result.receipt.feeCents !== fee.feeCents)
      this.feeMismatches.push(
        `${result.receipt.receipt} (${result.op.kind}): told ${result.receipt.feeCents}, tariff ${fee.feeCents}`,
      );
  }

  private apply(result: OpResult): void {
    if (result.receipt === undefined) return;
    const op = result.op;
    switch (op.kind) {
      case 'send_money':
      case 'paybill':
      case 'buy_goods':
      case 'withdraw':
      case 'airtime':
        this.customerPayment(result, op);
        break;
      case 'deposit':
      case 'b2c':
      case 'b2b':
        this.businessPayment(result, op);
        break;
      case 'org_move': {
        const { shortcode, from, to, amountCents } = op.command;
        this.move(orgAccountId(shortcode, from), orgAccountId(shortcode, to), amountCents);
        break;
      }
      case 'funding':
        this.move(this.ops.trust, op.command.accountId, op.command.amountCents);
        break;
      case 'reverse_customer':
      case 'reverse_business':
        this.reversal(result, op.target);
        break;
      default:
      // Repayments move money inside a position; opt-in, offers and days move none.
    }
  }

  private customerPayment(
    result: OpResult,
    op: Extract<Op, { kind: 'send_money' | 'paybill' | 'buy_goods' | 'withdraw' | 'airtime' }>,
  ): void {
    const s = this.customer(op.command.from);
    const amount = result.amountCents ?? op.command.amountCents;
    const draw = result.receipt?.overdraftDrawCents ?? 0;
    // The draw itself stays inside the position; its access fee leaves it.
    if (draw > 0) this.charge(s, overdraftAccessFee(this.world.market.overdraft, draw));
    if (op.kind === 'airtime') {
      this.told(result, splitExcise(0, 0, 'inclusive'));
      this.move(s, this.ops.airtime, amount);
    } else if (op.kind === 'send_money') {
      const fees = sideFees(this.world, { type: 'send_money', amountCents: amount });
      this.told(result, fees.sender);
      this.charge(s, fees.sender);
      this.move(s, this.customer(op.command.to), amount);
    } else if (op.kind === 'withdraw') {
      const fees = sideFees(this.world, { type: 'agent_withdrawal', amountCents: amount });
      this.told(result, fees.sender);
      this.charge(s, fees.sender);
      this.move(s, agentFloatId(op.command.agentNumber), amount);
      this.commission('agent_withdrawal', op.command.agentNumber, amount);
    } else {
      const org =
        op.kind === 'paybill' ? op.command.shortcode : this.tillOrg(op.command.tillNumber);
      const tariff = this.world.payments.context.registry.orgs.get(org)?.paybillTariff;
      const request: FeeRequest =
        op.kind === 'paybill'
          ? { type: 'paybill', amountCents: amount, paybillTariff: tariff ?? 'customer_pays' }
          : { type: 'buy_goods', amountCents: amount };
      const fees = sideFees(this.world, request);
      const utility = orgAccountId(org, 'utility');
      this.told(result, fees.sender);
      this.charge(s, fees.sender);
      this.move(s, utility, amount);
      this.charge(utility, fees.receiver);
    }
  }

  /** Money a business or an agent pays out; the business pays both sides of its fee. */
  private businessPayment(result: OpResult, op: Extract<Op, { kind: 'deposit' | 'b2c' | 'b2b' }>) {
    if (op.kind === 'deposit') {
      const amount = result.amountCents ?? op.command.amountCents;
      this.move(agentFloatId(op.command.agentNumber), this.customer(op.command.to), amount);
      this.commission('agent_deposit', op.command.agentNumber, amount);
      return;
    }
    const amount = op.command.amountCents;
    const fees = sideFees(this.world, { type: op.kind, amountCents: amount });
    const payer = op.kind === 'b2c' ? op.command.shortcode : op.command.from;
    const charges = orgAccountId(payer, 'charges');
    this.charge(charges, fees.sender);
    this.charge(charges, fees.receiver);
    if (op.kind === 'b2c') {
      const told = fees.sender.feeCents + fees.receiver.feeCents;
      this.told(result, { ...fees.sender, feeCents: told });
      this.move(orgAccountId(payer, 'utility'), this.customer(op.command.to), amount);
    } else {
      const to = op.command.toTill ? this.tillOrg(op.command.to) : op.command.to;
      this.move(orgAccountId(payer, 'utility'), orgAccountId(to, 'utility'), amount);
    }
  }

  /**
   * A reversal returns the original principal to its payer; fees are not refunded. The
   * original is the op the reversal named (by index: receipts are what is under test).
   */
  private reversal(result: OpResult, target: number): void {
    const original = this.byIndex.get(target);
    const op = original?.op;
    if (op === undefined || original?.receipt?.receipt !== result.reversing)
      throw new Error(
        `reversal ${result.receipt?.receipt} of ${result.reversing}, not a committed op`,
      );
    if (op.kind === 'send_money') {
      const { from, to, amountCents } = op.command;
      this.move(this.customer(to), this.customer(from), amountCents);
    } else if (op.kind === 'paybill' || op.kind === 'buy_goods') {
      const org =
        op.kind === 'paybill' ? op.command.shortcode : this.tillOrg(op.command.tillNumber);
      const { from, amountCents } = op.command;
      this.move(orgAccountId(org, 'utility'), this.customer(from), amountCents);
    } else {
      throw new Error(`a ${op.kind} was reversed (${result.receipt?.receipt})`);
    }
  }
}

// ---- Checks: each returns what it found wrong ------------------------------------------------

function conservation(books: Books): string[] {
  const sums = [0n, 0n, 0n, 0n];
  for (const a of books.accounts.values()) {
    sums[0] += BigInt(a.debitsPending);
    sums[1] += BigInt(a.debitsPosted);
    sums[2] += BigInt(a.creditsPending);
    sums[3] += BigInt(a.creditsPosted);
  }
  const found: string[] = [];
  if (sums[3] - sums[1] !== 0n) found.push(`Σ posted credits − debits = ${sums[3] - sums[1]}`);
  if (sums[2] - sums[0] !== 0n) found.push(`Σ pending credits − debits = ${sums[2] - sums[0]}`);
  for (const t of books.transfers)
    for (const id of [t.debitAccountId, t.creditAccountId])
      if (!books.accounts.has(id)) found.push(`transfer ${t.id} touches unlisted account ${id}`);
  if (books.accounts.size !== books.ledgerAccounts)
    found.push(`${books.accounts.size} accounts listed, the ledger holds ${books.ledgerAccounts}`);
  if (books.transfers.length !== books.ledgerTransfers)
    found.push(`${books.transfers.length} transfers stored, ${books.ledgerTransfers} committed`);
  return found;
}

/** Consecutive transfers sharing a userRef: one transaction's chain. */
function chains(transfers: readonly Transfer[]): Transfer[][] {
  const groups: Transfer[][] = [];
  for (const t of transfers) {
    const last = groups.at(-1);
    if (last !== undefined && last[0].userRef === t.userRef) last.push(t);
    else groups.push([t]);
  }
  return groups;
}

/**
 * Replays every transfer in commit order and calls `check` with each account a transaction
 * touched and its net balance right after that transaction.
 */
function afterEveryTransaction(
  books: Books,
  check: (accountId: string, netCents: number, receipt: string) => void,
): void {
  const types = new Map(books.txns.map((txn) => [txn.receipt, txn.type]));
  const nets = new Map<string, number>();
  for (const chain of chains(books.transfers)) {
    const touched = new Set<string>();
    for (const t of chain) {
      nets.set(t.debitAccountId, (nets.get(t.debitAccountId) ?? 0) - t.amount);
      nets.set(t.creditAccountId, (nets.get(t.creditAccountId) ?? 0) + t.amount);
      touched.add(t.debitAccountId).add(t.creditAccountId);
    }
    const receipt = `${chain[0].userRef} (${types.get(chain[0].userRef) ?? 'no record'})`;
    for (const id of touched) check(id, nets.get(id) ?? 0, receipt);
  }
}

function walletsOverTime(world: World, books: Books): string[] {
  const walletMax = world.market.limits.walletBalanceMaxCents;
  const found: string[] = [];
  afterEveryTransaction(books, (id, value, receipt) => {
    if (id.startsWith('wallet:') && (value < 0 || value > walletMax))
      found.push(`${receipt}: ${id} holds ${value} (limit ${walletMax})`);
  });
  return found;
}

function overdraftsOverTime(world: World, books: Books): string[] {
  const customers = world.payments.context.registry.customers;
  const found: string[] = [];
  afterEveryTransaction(books, (id, value, receipt) => {
    if (!id.startsWith('overdraft:')) return;
    const limit = customers.get(id.slice('overdraft:'.length))?.overdraft?.limitCents ?? 0;
    if (-value < 0 || -value > limit)
      found.push(`${receipt}: ${id} owes ${-value} (limit ${limit})`);
  });
  return found;
}

function walletsAtEnd(world: World, books: Books): string[] {
  const walletMax = world.market.limits.walletBalanceMaxCents;
  const found: string[] = [];
  for (const c of world.payments.context.registry.customers.values()) {
    const wallet = books.accounts.get(walletId(c.msisdn));
    if (wallet === undefined) found.push(`no wallet for ${c.msisdn}`);
    else if (wallet.debitsPosted + wallet.debitsPending > wallet.creditsPosted)
      found.push(`${wallet.id}: debits exceed credits`);
    else if (net(wallet) > walletMax) found.push(`${wallet.id} holds ${net(wallet)}`);
  }
  return found;
}

function overdraftsAtEnd(world: World, books: Books): string[] {
  const found: string[] = [];
  for (const c of world.payments.context.registry.customers.values()) {
    if (c.overdraft === null) continue;
    const owed = -net(books.accounts.get(overdraftId(c.msisdn)));
    if (owed < 0 || owed > c.overdraft.limitCents)
      found.push(`${overdraftId(c.msisdn)} owes ${owed} (limit ${c.overdraft.limitCents})`);
  }
  return found;
}

const FEE_CODES: ReadonlySet<number> = new Set([
  TransferCode.fee,
  TransferCode.overdraftAccessFee,
  TransferCode.overdraftDailyFee,
]);
const EXCISE_CODES: ReadonlySet<number> = new Set([
  TransferCode.excise,
  TransferCode.overdraftAccessExcise,
  TransferCode.overdraftDailyExcise,
]);

/** Σ of legs into and out of an account, by transfer code. */
function legsOf(
  books: Books,
  accountId: string,
): { in: Map<number, number>; out: Map<number, number> } {
  const sums = { in: new Map<number, number>(), out: new Map<number, number>() };
  for (const t of books.transfers) {
    if (t.creditAccountId === accountId) sums.in.set(t.code, (sums.in.get(t.code) ?? 0) + t.amount);
    if (t.debitAccountId === accountId)
      sums.out.set(t.code, (sums.out.get(t.code) ?? 0) + t.amount);
  }
  return sums;
}

const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * Fee revenue = fee legs − commissions paid from it; excise = excise legs: from the stored
 * transfers. Then both against the tariff (the model), with daily fees checked in total.
 */
function feesAndExcise(
  world: World,
  books: Books,
  model: Model,
  dailyTotalCents: number,
): string[] {
  const { fees, excise } = world.payments.context.operator;
  const found: string[] = [];
  const f = legsOf(books, fees);
  const x = legsOf(books, excise);
  for (const code of f.in.keys())
    if (!FEE_CODES.has(code)) found.push(`fee revenue credited by code ${code}`);
  for (const code of f.out.keys())
    if (code !== TransferCode.commission) found.push(`fee revenue debited by code ${code}`);
  for (const code of x.in.keys())
    if (!EXCISE_CODES.has(code)) found.push(`excise credited by code ${code}`);
  if (x.out.size > 0) found.push(`excise debited: ${[...x.out.keys()]}`);
  const feeAccount = net(books.accounts.get(fees));
  const exciseAccount = net(books.accounts.get(excise));
  if (feeAccount !== total(f.in) - total(f.out))
    found.push(`fee revenue ${feeAccount} ≠ fee legs ${total(f.in)} − commissions ${total(f.out)}`);
  if (exciseAccount !== total(x.in))
    found.push(`excise ${exciseAccount} ≠ excise legs ${total(x.in)}`);
  const dailyNet = f.in.get(TransferCode.overdraftDailyFee) ?? 0;
  const dailyExcise = x.in.get(TransferCode.overdraftDailyExcise) ?? 0;
  if (dailyNet + dailyExcise !== dailyTotalCents)
    found.push(`daily fee legs ${dailyNet} + ${dailyExcise} ≠ charged ${dailyTotalCents}`);
  const modelFees = model.nets.get(fees) ?? 0;
  const modelExcise = model.nets.get(excise) ?? 0;
  if (feeAccount !== modelFees + dailyNet)
    found.push(`fee revenue ${feeAccount} ≠ tariff ${modelFees} + daily ${dailyNet}`);
  if (exciseAccount !== modelExcise + dailyExcise)
    found.push(`excise ${exciseAccount} ≠ tariff ${modelExcise} + daily ${dailyExcise}`);
  return [...found, ...model.feeMismatches];
}

/** Every account against the model; customers as wallet − owed, fee and excise accounts in sum. */
function accountsAgainstModel(world: World, books: Books, model: Model): string[] {
  const { fees, excise } = world.payments.context.operator;
  const found: string[] = [...model.problems];
  const expected = new Map(model.nets);
  const actual = new Map<string, number>();
  for (const a of books.accounts.values()) {
    const owner =
      a.code === AccountCode.wallet || a.code === AccountCode.overdraft
        ? position(a.ownerId)
        : a.id;
    actual.set(owner, (actual.get(owner) ?? 0) + net(a));
  }
  const charges = (m: Map<string, number>) => (m.get(fees) ?? 0) + (m.get(excise) ?? 0);
  const chargesExpected = charges(expected) + (expected.get(DAILY_FEES) ?? 0);
  if (charges(actual) !== chargesExpected)
    found.push(`fee revenue + excise ${charges(actual)} ≠ model ${chargesExpected}`);
  for (const id of [fees, excise, DAILY_FEES]) {
    expected.delete(id);
    actual.delete(id);
  }
  for (const id of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(id) ?? 0;
    const got = actual.get(id) ?? 0;
    if (want !== got) found.push(`${id}: ledger ${got}, model ${want}`);
  }
  return found;
}

/** Receipts: unique in the records, one contiguous chain each, and one-to-one with the answers. */
function receiptsUnique(
  books: Books,
  results: readonly OpResult[],
  dailyCharged: number,
): string[] {
  const found: string[] = [];
  const txnByReceipt = new Map<string, TransactionRecord>();
  for (const txn of books.txns) {
    if (txnByReceipt.has(txn.receipt)) found.push(`receipt ${txn.receipt} recorded twice`);
    txnByReceipt.set(txn.receipt, txn);
  }
  const seen = new Set<string>();
  for (const chain of chains(books.transfers)) {
    const ref = chain[0].userRef;
    if (seen.has(ref)) found.push(`receipt ${ref} names two separate chains`);
    seen.add(ref);
    if (!txnByReceipt.has(ref)) found.push(`transfers of ${ref} have no transaction record`);
  }
  for (const receipt of txnByReceipt.keys())
    if (!seen.has(receipt)) found.push(`record ${receipt} has no transfers`);
  const answered = new Set<string>();
  for (const r of results) {
    if (r.receipt === undefined) continue;
    const receipt = r.receipt.receipt;
    if (answered.has(receipt)) found.push(`receipt ${receipt} answered twice`);
    answered.add(receipt);
    const txn = txnByReceipt.get(receipt);
    if (txn === undefined) found.push(`answered ${receipt} has no record`);
    else if (txn.requestKey !== requestKeyOf(r.op) || txn.amountCents !== r.receipt.amountCents)
      found.push(
        `${receipt}: record ${txn.requestKey}/${txn.amountCents} ≠ answer ${requestKeyOf(r.op)}/${r.receipt.amountCents}`,
      );
  }
  if (books.txns.length !== answered.size + dailyCharged)
    found.push(
      `${books.txns.length} records for ${answered.size} answers + ${dailyCharged} daily fees`,
    );
  return found;
}

/**
 * A request key has a record if and only if an answer under it committed; a duplicate names
 * the original's receipt; and the probes (refusals run alone) changed nothing.
 */
function refusalsLeaveNoTrace(
  books: Books,
  results: readonly OpResult[],
  probes: Probes,
): string[] {
  const found = [...probes.failures];
  if (probes.refusals === 0) found.push('no refusal was probed alone');
  const recorded = new Map<string, string>();
  for (const txn of books.txns) {
    if (recorded.has(txn.requestKey)) found.push(`request ${txn.requestKey} committed twice`);
    recorded.set(txn.requestKey, txn.receipt);
  }
  const committed = new Map<string, string>();
  for (const r of results) {
    const key = requestKeyOf(r.op);
    if (key !== undefined && r.receipt !== undefined) committed.set(key, r.receipt.receipt);
  }
  for (const r of results) {
    const key = requestKeyOf(r.op);
    if (key === undefined || r.ok) continue;
    const receipt = recorded.get(key);
    if (receipt !== undefined && committed.get(key) !== receipt)
      found.push(`refused request ${key} (${r.error}) has record ${receipt}`);
    if (
      r.error === 'duplicate_request' &&
      r.duplicateOf !== undefined &&
      r.duplicateOf !== committed.get(key)
    )
      found.push(`duplicate of ${key} named ${r.duplicateOf}, committed ${committed.get(key)}`);
  }
  for (const [key, receipt] of recorded)
    if (!key.startsWith('odfee:') && committed.get(key) !== receipt)
      found.push(`record ${receipt} under ${key} that no answer committed`);
  return found;
}

/** The SMS each committed transaction implies, from its record and the parties' settings. */
function smsExpected(world: World, txn: TransactionRecord): number {
  const { orgs, tills, agents } = world.payments.context.registry;
  const drew = (txn.overdraftDrawCents ?? 0) > 0 ? 1 : 0;
  const repaid = (txn.overdraftRepaidCents ?? 0) > 0 ? 1 : 0;
  const notify = (n: { notifyMsisdn: string | null } | undefined) => (n?.notifyMsisdn ? 1 : 0);
  switch (txn.type) {
    case 'send_money':
      return 2 + drew + repaid;
    case 'paybill':
      return 1 + drew + notify(orgs.get(txn.to.id));
    case 'buy_goods':
      return 1 + drew + notify(tills.get(txn.to.id));
    case 'agent_withdrawal':
      return 1 + drew + notify(agents.get(txn.to.id));
    case 'airtime':
      return 1 + drew;
    case 'agent_deposit':
      return 1 + repaid + notify(agents.get(txn.from.id));
    case 'b2c':
      return 1 + repaid;
    case 'overdraft_repayment':
      return 1;
    case 'reversal':
      return (
        (txn.from.account.startsWith('wallet:') ? 1 : 0) +
        (txn.to.account.startsWith('wallet:') ? 1 : 0)
      );
    default:
      return 0;
  }
}

/** Receipts recorded more than once: the receipt check reports them, the others skip them. */
function reusedReceipts(books: Books): Set<string> {
  const seen = new Set<string>();
  const reused = new Set<string>();
  for (const txn of books.txns) (seen.has(txn.receipt) ? reused : seen).add(txn.receipt);
  return reused;
}

function smsMatch(world: World, books: Books): string[] {
  const counts = new Map<string, number>();
  for (const record of books.sms) counts.set(record.key, (counts.get(record.key) ?? 0) + 1);
  const reused = reusedReceipts(books);
  const found: string[] = [];
  let expectedTotal = 0;
  for (const txn of books.txns) {
    if (reused.has(txn.receipt)) {
      expectedTotal = Number.NaN;
      continue;
    }
    const want = smsExpected(world, txn);
    expectedTotal += want;
    const got = counts.get(txn.receipt) ?? 0;
    if (got !== want) found.push(`${txn.receipt} (${txn.type}): ${got} SMS, expected ${want}`);
    counts.delete(txn.receipt);
  }
  for (const receipt of reused) counts.delete(receipt);
  for (const [receipt, n] of counts) found.push(`${n} SMS for ${receipt}, which has no record`);
  if (!Number.isNaN(expectedTotal) && books.sms.length !== expectedTotal)
    found.push(`${books.sms.length} SMS in all, expected ${expectedTotal}`);
  return found;
}

/** After close: every account recomputed from the stored transfers equals the ledger's counters. */
async function recomputed(journalConfig: JournalConfig, books: Books): Promise<string[]> {
  const journal = await openJournal(journalConfig);
  await journal.open();
  try {
    const counters = await recomputeBalances(journal);
    const stored = new Map((await journal.storedAccounts()).map((a) => [a.id, a]));
    const found: string[] = [];
    if (counters.size !== books.accounts.size)
      found.push(`${counters.size} accounts stored, ${books.accounts.size} known`);
    for (const a of books.accounts.values()) {
      const live = [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted].join();
      const s = stored.get(a.id);
      const checkpointed =
        s && [s.debitsPending, s.debitsPosted, s.creditsPending, s.creditsPosted].join();
      const fromTransfers = counters.get(a.id)?.join();
      if (live !== fromTransfers || live !== checkpointed)
        found.push(`${a.id}: ledger ${live}, recomputed ${fromTransfers}, stored ${checkpointed}`);
    }
    return found;
  } finally {
    await journal.close();
  }
}

/** The run covered what it claims: every kind committed and was refused, every path taken. */
function coverage(sim: Simulation, results: readonly OpResult[]): string[] {
  const found: string[] = [];
  for (const [kind, tally] of sim.report.byKind) {
    // A voluntary repayment needs money in the wallet of a customer who owes. A draw empties
    // the wallet and incoming money repays the overdraft first, so that state never arises:
    // voluntary repayments are exercised, but only ever refused.
    if (tally.ok === 0 && kind !== 'replay' && kind !== 'repay')
      found.push(`${kind} never committed`);
    if (tally.refused.size === 0 && !['funding', 'offer', 'new_day'].includes(kind))
      found.push(`${kind} never refused`);
  }
  const has = (what: string, test: (r: OpResult) => boolean) => {
    if (!results.some(test)) found.push(`no ${what}`);
  };
  has('overdraft draw', (r) => (r.receipt?.overdraftDrawCents ?? 0) > 0);
  has(
    'repayment from incoming money',
    (r) => r.op.kind !== 'repay' && (r.receipt?.overdraftRepaidCents ?? 0) > 0,
  );
  has('daily overdraft fee', (r) => (r.dailyFees?.charged ?? 0) > 0);
  for (const code of [
    'wrong_pin',
    'pin_locked',
    'duplicate_request',
    'insufficient_funds',
    'daily_limit_exceeded',
    'payee_balance_limit_exceeded',
    'reversal_window_expired',
  ])
    has(code, (r) => r.error === code);
  has('correct PIN', (r) => r.ok && 'auth' in r.op && r.op.auth.kind === 'pin');
  const share = sim.report.refused / sim.report.ops;
  if (share < 0.05 || share > 0.4) found.push(`refusal share ${share.toFixed(3)} outside 5–40 %`);
  return found;
}

/** A refusal that is the ledger's, not the service's: a planned leg the ledger would not take. */
function ledgerRefusedLegs(results: readonly OpResult[]): string[] {
  return results
    .filter((r) => r.error === 'invalid_request' && r.message?.startsWith('the ledger refused'))
    .map((r) => `op ${r.index} (${r.op.kind}, ${requestKeyOf(r.op)}): ${r.message}`);
}

interface Run {
  world: World;
  sim: Simulation;
  results: OpResult[];
  probes: Probes;
}

/** Every check, each returning what it found wrong (named as the subtests report them). */
function checks(run: Run, books: Books): [string, () => string[]][] {
  const { world, sim, results } = run;
  const model = new Model(world, sim.cast, results);
  model.applyDailyFees(books.txns);
  const daily = results.reduce((sum, r) => sum + (r.dailyFees?.totalCents ?? 0), 0);
  const dailyCharged = results.reduce((sum, r) => sum + (r.dailyFees?.charged ?? 0), 0);
  return [
    ['the traffic covered every kind, refusal and overdraft path', () => coverage(sim, results)],
    [
      'money is conserved: Σ credits − debits over all accounts is 0, posted and pending',
      () => conservation(books),
    ],
    [
      'checkInvariants holds over every account',
      () => checkInvariants(books.accounts.values()).violations,
    ],
    [
      'every wallet holds within [0, wallet limit] after every transaction',
      () => walletsOverTime(world, books),
    ],
    ['every wallet holds within [0, wallet limit] at the end', () => walletsAtEnd(world, books)],
    [
      'every overdraft owes within [0, its limit] after every transaction',
      () => overdraftsOverTime(world, books),
    ],
    ['every overdraft owes within [0, its limit] at the end', () => overdraftsAtEnd(world, books)],
    [
      'fee revenue = fee legs − commissions and excise = excise legs, both as the tariff says',
      () => feesAndExcise(world, books, model, daily),
    ],
    [
      'every account equals the reference model of the answered commands',
      () => accountsAgainstModel(world, books, model),
    ],
    [
      'every receipt is unique and names one chain, one record and one answer',
      () => receiptsUnique(books, results, dailyCharged),
    ],
    [
      'every refusal left the ledger untouched',
      () => refusalsLeaveNoTrace(books, results, run.probes),
    ],
    [
      "every refusal is the service's own: the ledger refused no planned leg",
      () => ledgerRefusedLegs(results),
    ],
    [
      'SMS records are exactly those the committed transactions imply',
      () => smsMatch(world, books),
    ],
  ];
}

async function traffic(t: TestContext, run: Run): Promise<void> {
  const { world, sim } = run;
  let started = performance.now();
  await sim.populate();
  t.diagnostic(`cast registered and funded in ${seconds(started)} s (${sim.opsStarted} setup ops)`);
  started = performance.now();
  await sim.run({
    ops: OPS,
    concurrency: CONCURRENCY,
    pauseEveryOps: PAUSE_EVERY_OPS,
    atPause: () => probeRefusals(world, sim, PROBES_PER_PAUSE, run.probes),
  });
  const { ops, committed, refused } = sim.report;
  t.diagnostic(`${ops} ops in ${seconds(started)} s: ${committed} committed, ${refused} refused`);
  t.diagnostic(`${run.probes.refusals} refusals run alone, the ledger compared before and after`);
  for (const line of sim.report.table().split('\n')) t.diagnostic(line);
}

const seconds = (sinceMs: number) => ((performance.now() - sinceMs) / 1000).toFixed(1);

test(`randomized: ${OPS} mixed transactions keep the books`, {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const seed = seedFromEnv();
  t.diagnostic(`seed ${seed} (replay: MALIPO_SEED=${seed}), ${OPS} ops, ${CONCURRENCY} in flight`);
  const dir = mkdtempSync(join(tmpdir(), 'malipo-randomized-'));
  const journal: JournalConfig = { kind: 'sqlite', path: join(dir, 'journal.db') };
  const world = await openWorld({
    journal,
    checkInvariants: true,
    reversalWindowMs: REVERSAL_WINDOW_MS,
  });
  const run: Run = {
    world,
    sim: new Simulation(world, { seed, onResult: (r) => run.results.push(r) }),
    results: [],
    probes: { refusals: 0, failures: [] },
  };
  try {
    await traffic(t, run);
    const started = performance.now();
    const books = await readBooks(world);
    t.diagnostic(
      `${books.transfers.length} transfers, ${books.txns.length} transactions, ${books.sms.length} SMS read in ${seconds(started)} s`,
    );
    for (const [name, found] of checks(run, books))
      await t.test(name, () => {
        const list = found();
        assert.deepEqual(list, [], mismatches(list));
      });
    await world.ledger.close();
    const found = await recomputed(journal, books);
    await t.test('the journal recomputed from its transfers equals the ledger counters', () =>
      assert.deepEqual(found, [], mismatches(found)),
    );
  } finally {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
