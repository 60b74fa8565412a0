// Randomized product traffic, shared by the randomized test and the products benchmark: a cast
// of parties on a real payments world, and a stream of mixed commands (every transaction type,
// mistakes, replayed request keys, reversals, overdraft draws and repayments, days passing)
// drawn from a seeded generator and run by many concurrent callers.
//
// The command stream is a pure function of the seed: an op that refers to an earlier one (a
// reversal, a replay) names it by its index and resolves it when it runs. What each op returns
// can still depend on how the concurrent callers interleave, which is what the test is for;
// with `concurrency: 1` a seed replays exactly.
//
// A seeded generator rather than fast-check: a run is one stream of 100,000 commands executed
// concurrently against a live service, where shrinking cannot apply and the seed is all a
// failing run needs to be replayed.

import type { Account } from '../../ledger/model.ts';
import { agentFloatId, ORG_ACCOUNTS, orgAccountId, overdraftId, walletId } from '../accounts.ts';
import type {
  B2BCommand,
  B2CCommand,
  DepositCommand,
  OrgTransferCommand,
} from '../disbursements.ts';
import type { Authorization, Outcome, Receipt, RefusalCode } from '../model.ts';
import { PAYBILL_TARIFFS, type PaybillTariff } from '../tariffs.ts';
import type {
  AirtimeCommand,
  BuyGoodsCommand,
  PayBillCommand,
  SendMoneyCommand,
  WithdrawCommand,
} from '../transactions.ts';
import type { World } from './world.ts';

// ---- Seeded random numbers -------------------------------------------------------------------

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: eight lines, fast, and enough to draw traffic from. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

const KES = (shillings: number) => shillings * 100;
const DAY_MS = 86_400_000;

// ---- The cast --------------------------------------------------------------------------------

export interface SimCustomer {
  /** Normalised (2547…). */
  msisdn: string;
  pin: string;
  /** The overdraft limit offered at the start, if any. */
  offerCents: number | null;
  /** Keeps a balance near the wallet limit and moves large amounts. */
  rich: boolean;
  /** Often types a wrong PIN, so that PINs get locked (and reset by the operator). */
  forgetful: boolean;
}

export interface SimPaybill {
  shortcode: string;
  tariff: PaybillTariff;
}

export interface SimTill {
  tillNumber: string;
  /** The organization paid: a head office, or the till's own. */
  shortcode: string;
}

export interface SimAgent {
  agentNumber: string;
  storeNumber: string;
}

export interface Cast {
  customers: SimCustomer[];
  /** Registered, then frozen: every command naming them is refused. */
  frozen: string[];
  paybills: SimPaybill[];
  tills: SimTill[];
  agents: SimAgent[];
  /** Customers by the last nine digits of their number. */
  byNumber: ReadonlyMap<string, SimCustomer>;
}

export interface CastOptions {
  customers: number;
  paybills: number;
  headOffices: number;
  tillsPerHeadOffice: number;
  standaloneTills: number;
  agents: number;
  frozenCustomers: number;
  /** Customers offered an overdraft at the start; `optedInShare` of them opt in at once. */
  overdraftShare: number;
  optedInShare: number;
  richShare: number;
  forgetfulShare: number;
}

export const CAST_DEFAULTS: CastOptions = {
  customers: 300,
  paybills: 12,
  headOffices: 4,
  tillsPerHeadOffice: 5,
  standaloneTills: 16,
  agents: 30,
  frozenCustomers: 3,
  overdraftShare: 0.35,
  optedInShare: 0.7,
  richShare: 0.04,
  forgetfulShare: 0.02,
};

/** PINs the policy accepts (no repeats, no runs); a wrong PIN is another one of them. */
const PINS = ['4829', '5937', '7261', '3846', '6150', '2804', '9173', '1592'] as const;
const OVERDRAFT_LIMITS_KES = [500, 1_000, 2_500, 5_000, 10_000, 25_000, 70_000] as const;
/** Registrations in flight at once: each hashes a PIN (scrypt) on the thread pool. */
const REGISTER_CONCURRENCY = 8;

const customerNumber = (i: number) => `2547${String(20_000_000 + i)}`;
const paybillNumber = (i: number) => String(400_000 + i);
const headOfficeNumber = (i: number) => String(700_000 + i);
const tillNumber = (i: number) => String(500_000 + i);
const agentNumber = (i: number) => String(300_000 + i);

async function inChunks<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size)
    await Promise.all(items.slice(i, i + size).map(work));
}

function must(outcome: { ok: boolean }, what: string): void {
  if (!outcome.ok) throw new Error(`simulation setup: ${what}: ${JSON.stringify(outcome)}`);
}

function drawCast(random: Random, options: CastOptions): Cast {
  const customers: SimCustomer[] = [];
  for (let i = 0; i < options.customers; i++) {
    const offered = random.chance(options.overdraftShare);
    customers.push({
      msisdn: customerNumber(i),
      pin: random.pick(PINS),
      offerCents: offered ? KES(random.pick(OVERDRAFT_LIMITS_KES)) : null,
      rich: random.chance(options.richShare),
      forgetful: random.chance(options.forgetfulShare),
    });
  }
  const frozen = Array.from({ length: options.frozenCustomers }, (_, i) =>
    customerNumber(options.customers + i),
  );
  const paybills = Array.from({ length: options.paybills }, (_, i) => ({
    shortcode: paybillNumber(i),
    tariff: PAYBILL_TARIFFS[i % PAYBILL_TARIFFS.length],
  }));
  const tills: SimTill[] = [];
  for (let h = 0; h < options.headOffices; h++)
    for (let t = 0; t < options.tillsPerHeadOffice; t++)
      tills.push({ tillNumber: tillNumber(tills.length), shortcode: headOfficeNumber(h) });
  for (let t = 0; t < options.standaloneTills; t++) {
    const number = tillNumber(tills.length);
    tills.push({ tillNumber: number, shortcode: number });
  }
  const agents = Array.from({ length: options.agents }, (_, i) => ({
    agentNumber: agentNumber(i),
    storeNumber: String(Number(agentNumber(i)) + 50_000),
  }));
  const byNumber = new Map(customers.map((c) => [c.msisdn.slice(-9), c]));
  return { customers, frozen, paybills, tills, agents, byNumber };
}

async function registerCustomers(world: World, cast: Cast): Promise<void> {
  const p = world.payments;
  const everyone = [
    ...cast.customers.map((c) => ({ msisdn: c.msisdn, pin: c.pin })),
    ...cast.frozen.map((msisdn) => ({ msisdn, pin: PINS[0] })),
  ];
  await inChunks(everyone, REGISTER_CONCURRENCY, async ({ msisdn, pin }) => {
    const name = `C${msisdn.slice(-6)}`;
    must(
      await p.registerCustomer({
        msisdn,
        firstName: 'SIM',
        lastName: name,
        idNumber: `ID${msisdn.slice(-8)}`,
        pin,
      }),
      `customer ${msisdn}`,
    );
  });
  for (const msisdn of cast.frozen) must(await p.setCustomerStatus(msisdn, 'frozen'), msisdn);
  for (const c of cast.customers) {
    if (c.offerCents !== null) must(await p.offerOverdraft(c.msisdn, c.offerCents), c.msisdn);
  }
}

async function registerBusinesses(world: World, cast: Cast): Promise<void> {
  const p = world.payments;
  const notify = (i: number) => (i % 2 === 0 ? cast.customers[i % cast.customers.length] : null);
  for (const [i, paybill] of cast.paybills.entries()) {
    const org = {
      shortcode: paybill.shortcode,
      name: `Paybill ${i}`,
      kind: 'paybill' as const,
      paybillTariff: paybill.tariff,
      notifyMsisdn: notify(i)?.msisdn,
    };
    must(await p.registerOrganization(org), `paybill ${paybill.shortcode}`);
  }
  const headOffices = [...new Set(cast.tills.map((t) => t.shortcode))].filter(
    (shortcode) => !cast.tills.some((t) => t.tillNumber === shortcode),
  );
  for (const [i, shortcode] of headOffices.entries()) {
    const org = { shortcode, name: `Chain ${i}`, kind: 'buygoods' as const };
    must(await p.registerOrganization(org), `head office ${shortcode}`);
  }
  for (const [i, till] of cast.tills.entries()) {
    const headOffice = till.shortcode === till.tillNumber ? undefined : till.shortcode;
    const input = {
      tillNumber: till.tillNumber,
      name: `Shop ${i}`,
      headOfficeShortcode: headOffice,
      notifyMsisdn: notify(i + 1)?.msisdn,
    };
    must(await p.registerTill(input), `till ${till.tillNumber}`);
  }
  for (const [i, agent] of cast.agents.entries()) {
    const input = {
      ...agent,
      name: `Agent ${i}`,
      location: `Town ${i % 7}`,
      notifyMsisdn: notify(i)?.msisdn,
    };
    must(await p.registerAgent(input), `agent ${agent.agentNumber}`);
  }
}

/** The limit a customer is (or would be) offered: fixed per customer. */
export function offerFor(customer: SimCustomer): number {
  const fixed =
    OVERDRAFT_LIMITS_KES[Number(customer.msisdn.slice(-2)) % OVERDRAFT_LIMITS_KES.length];
  return customer.offerCents ?? KES(fixed);
}

/** The cast member a typed number names, if any (by its last nine digits). */
export function customerByNumber(cast: Cast, raw: string): SimCustomer | undefined {
  return cast.byNumber.get(raw.slice(-9));
}

/** The organizations whose accounts the traffic pays from (B2C, B2B, moves between accounts). */
export function payingOrgs(cast: Cast): string[] {
  return [...cast.paybills.map((p) => p.shortcode), ...new Set(cast.tills.map((t) => t.shortcode))];
}

// ---- Operations ------------------------------------------------------------------------------

export interface FundingCommand {
  accountId: string;
  amountCents: number;
  requestKey: string;
}

export interface RepayCommand {
  msisdn: string;
  amountCents?: number;
  auth: Authorization;
  requestKey: string;
}

export type Op =
  | { kind: 'send_money'; command: SendMoneyCommand }
  | { kind: 'paybill'; command: PayBillCommand }
  | { kind: 'buy_goods'; command: BuyGoodsCommand }
  | { kind: 'withdraw'; command: WithdrawCommand }
  /**
   * With `drawToLimit`, the amount is whatever spends the wallet and the whole overdraft
   * headroom when the op runs (a customer maxing out the overdraft).
   */
  | { kind: 'airtime'; command: AirtimeCommand; drawToLimit?: boolean }
  /** With `fillToLimit`, the amount is whatever brings the wallet to its limit when the op runs. */
  | { kind: 'deposit'; command: DepositCommand; fillToLimit: boolean }
  | { kind: 'b2c'; command: B2CCommand }
  | { kind: 'b2b'; command: B2BCommand }
  | { kind: 'org_move'; command: OrgTransferCommand }
  | { kind: 'funding'; command: FundingCommand }
  | {
      kind: 'reverse_customer';
      target: number;
      msisdn: string;
      auth: Authorization;
      requestKey: string;
    }
  | { kind: 'reverse_business'; target: number; shortcode: string; requestKey: string }
  | { kind: 'repay'; command: RepayCommand }
  | { kind: 'opt_in'; msisdn: string; auth: Authorization }
  | { kind: 'offer'; msisdn: string; limitCents: number }
  /** The op at `target` again, request key and all: a channel retrying. */
  | { kind: 'replay'; target: number }
  /** The clock moves a day forward and the daily overdraft fees are charged. */
  | { kind: 'new_day' };

export type OpKind = Op['kind'];

export interface OpResult {
  index: number;
  /** What ran: for a replay, the replayed op (whose request key it reuses). */
  op: Op;
  replayOf?: number;
  ok: boolean;
  error?: RefusalCode;
  /** The refusal's message. */
  message?: string;
  /** A committed transaction's receipt. */
  receipt?: Receipt;
  /** The original receipt a duplicate_request refusal named. */
  duplicateOf?: string;
  /** For a reversal: the receipt it asked to reverse. */
  reversing?: string;
  /** For a new day: what the daily overdraft fees charged. */
  dailyFees?: { charged: number; totalCents: number };
  /** The amount a fill-to-limit deposit or a draw-to-limit purchase used. */
  amountCents?: number;
  latencyMs: number;
}

/** The customer who authorises an op (and whose PIN it may carry), as typed. */
export function customerOf(op: Op): string | undefined {
  switch (op.kind) {
    case 'send_money':
    case 'paybill':
    case 'buy_goods':
    case 'withdraw':
    case 'airtime':
      return op.command.from;
    case 'repay':
      return op.command.msisdn;
    case 'reverse_customer':
    case 'opt_in':
      return op.msisdn;
    default:
      return undefined;
  }
}

/** The request key an op commits under, if it has one. */
export function requestKeyOf(op: Op): string | undefined {
  switch (op.kind) {
    case 'reverse_customer':
    case 'reverse_business':
      return op.requestKey;
    case 'opt_in':
    case 'offer':
    case 'replay':
    case 'new_day':
      return undefined;
    default:
      return op.command.requestKey;
  }
}

export interface MixOptions {
  /** Share of customer commands authorised with the real PIN (each costs a scrypt hash). */
  pinShare: number;
  /** Share authorised with a wrong PIN. */
  wrongPinShare: number;
  /** Share of commands naming a party that is unknown, frozen, malformed or the payer itself. */
  mistakeShare: number;
  /** A day passes (clock forward, daily overdraft fees) every this many ops; 0: never. */
  dayEveryOps: number;
  /** Relative weights of the op kinds (new_day is scheduled, not drawn). */
  weights: Readonly<Record<Exclude<OpKind, 'new_day'>, number>>;
}

/** Weights shaped like a mobile-money day: person-to-person and merchant payments dominate. */
export const MIX_DEFAULTS: MixOptions = {
  pinShare: 0.006,
  wrongPinShare: 0.003,
  mistakeShare: 0.03,
  dayEveryOps: 12_000,
  weights: {
    send_money: 25,
    buy_goods: 14,
    paybill: 11,
    deposit: 12,
    withdraw: 8,
    airtime: 7,
    b2c: 6,
    b2b: 2,
    org_move: 1.5,
    funding: 1,
    reverse_customer: 1.5,
    reverse_business: 1,
    repay: 3,
    opt_in: 0.4,
    offer: 0.2,
    replay: 2,
  },
};

// ---- The command stream ----------------------------------------------------------------------

/** Ops kept for replays and reversals to resolve by index. */
export const HISTORY_OPS_MAX = 16_384;
/** Recent op indexes remembered per kind, for references to pick from. */
const RECENT_PER_KIND_MAX = 1024;
/** A reference names an op at least this far back, so that it has usually finished. */
const REFERENCE_LAG_MIN = 200;
/** Amount-entry slips: a few commands carry cents (not whole shillings) or exceed the maximum. */
const ODD_AMOUNT_SHARE = 0.003;
const HUGE_AMOUNT_SHARE = 0.004;
/** How often a forgetful customer types a wrong PIN: three in a row lock it now and then. */
const FORGETFUL_WRONG_PIN_SHARE = 0.2;
const VERIFIED: Authorization = { kind: 'verified', by: 'simulation' };
const UNKNOWN_SHORTCODE = '499999';
const RICH_C2B = 'rich-c2b';
/** Share of overdraft customers' airtime purchases that spend everything the overdraft allows. */
const DRAW_TO_LIMIT_SHARE = 0.15;
const UNKNOWN_TILL = '599999';
const UNKNOWN_AGENT = '399999';

/** The position of the first element greater than `value` in an ascending list. */
function firstAbove(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Draws ops from the seed; every draw happens in index order, so the stream is reproducible. */
class OpStream {
  private readonly ops: (Op | undefined)[] = new Array(HISTORY_OPS_MAX);
  private readonly recent = new Map<string, number[]>();
  private readonly kinds: [Exclude<OpKind, 'new_day'>, number][];
  private readonly weightTotal: number;
  private readonly orgs: string[];
  private readonly offered: SimCustomer[];

  constructor(
    private readonly random: Random,
    private readonly cast: Cast,
    private readonly mix: MixOptions,
    private readonly keyPrefix: string,
  ) {
    this.kinds = Object.entries(mix.weights) as [Exclude<OpKind, 'new_day'>, number][];
    this.weightTotal = this.kinds.reduce((sum, [, weight]) => sum + weight, 0);
    this.orgs = payingOrgs(cast);
    this.offered = cast.customers.filter((c) => c.offerCents !== null);
  }

  /** The op generated at `index`, while it is still in the history. */
  opAt(index: number): Op | undefined {
    return index >= 0 ? this.ops[index % HISTORY_OPS_MAX] : undefined;
  }

  generate(index: number): Op {
    const { dayEveryOps } = this.mix;
    const op: Op =
      dayEveryOps > 0 && index > 0 && index % dayEveryOps === 0
        ? { kind: 'new_day' }
        : this.build(this.drawKind(), index);
    this.keep(op, index);
    return op;
  }

  /** Registers an op built outside the stream (setup), so that later ops can name it. */
  keep(op: Op, index: number): void {
    this.ops[index % HISTORY_OPS_MAX] = op;
    const lists = op.kind === 'replay' || requestKeyOf(op) === undefined ? [] : ['keyed'];
    // Payments by customers who keep their wallet near its limit: reversing one of them tests
    // that a reversal never carries a wallet past the limit.
    const payer = op.kind === 'paybill' || op.kind === 'buy_goods' ? op.command.from : '';
    if (customerByNumber(this.cast, payer)?.rich) lists.push(RICH_C2B);
    for (const name of [...lists, op.kind]) {
      let list = this.recent.get(name);
      if (list === undefined) this.recent.set(name, (list = []));
      list.push(index);
      if (list.length > RECENT_PER_KIND_MAX) list.shift();
    }
  }

  key(index: number): string {
    return `${this.keyPrefix}:${index}`;
  }

  private drawKind(): Exclude<OpKind, 'new_day'> {
    let r = this.random.next() * this.weightTotal;
    for (const [kind, weight] of this.kinds) {
      r -= weight;
      if (r < 0) return kind;
    }
    return this.kinds[0][0];
  }

  /** A recent op of one of these kinds, far enough back to have finished; -1 if none. */
  private reference(kinds: readonly string[], index: number): number {
    const list = this.recent.get(this.random.pick(kinds)) ?? [];
    // The list is in index order: the candidates are one slice of it.
    const from = firstAbove(list, index - HISTORY_OPS_MAX);
    const to = firstAbove(list, index - REFERENCE_LAG_MIN);
    return to <= from ? -1 : list[this.random.int(from, to - 1)];
  }

  private build(kind: Exclude<OpKind, 'new_day'>, index: number): Op {
    const requestKey = this.key(index);
    switch (kind) {
      case 'send_money':
        return this.sendMoney(requestKey);
      case 'paybill':
      case 'buy_goods':
      case 'withdraw':
      case 'airtime':
        return this.customerPayment(kind, requestKey);
      case 'deposit':
      case 'b2c':
        return this.payIn(kind, requestKey);
      case 'b2b':
      case 'org_move':
      case 'funding':
        return this.businessMove(kind, requestKey);
      case 'reverse_customer':
      case 'reverse_business':
        return this.reversal(kind, index, requestKey);
      case 'repay':
      case 'opt_in':
      case 'offer':
        return this.overdraftOp(kind, requestKey);
      case 'replay': {
        const target = this.reference(['keyed'], index);
        return target < 0 ? this.sendMoney(requestKey) : { kind: 'replay', target };
      }
    }
  }

  // -- parties

  private customer(): SimCustomer {
    return this.random.pick(this.cast.customers);
  }

  /** A customer's number the way people type it: local, international, with a plus. */
  private number(msisdn: string): string {
    const r = this.random.next();
    if (r < 0.6) return `0${msisdn.slice(3)}`;
    return r < 0.8 ? `+${msisdn}` : msisdn;
  }

  /** A mistaken party: an unregistered number, a malformed one, or a frozen customer. */
  private strayNumber(): string {
    const r = this.random.next();
    if (r < 0.45) return `07${this.random.int(30_000_000, 39_999_999)}`;
    if (r < 0.7) return String(this.random.int(1_000, 99_999));
    return this.random.pick(this.cast.frozen);
  }

  private mistake(): boolean {
    return this.random.chance(this.mix.mistakeShare);
  }

  private auth(customer: SimCustomer): Authorization {
    const r = this.random.next();
    if (r < this.mix.pinShare) return { kind: 'pin', pin: customer.pin };
    const wrongShare = customer.forgetful ? FORGETFUL_WRONG_PIN_SHARE : this.mix.wrongPinShare;
    if (r < this.mix.pinShare + wrongShare)
      return { kind: 'pin', pin: PINS[(PINS.indexOf(customer.pin as never) + 1) % PINS.length] };
    return VERIFIED;
  }

  /** Log-uniform between two amounts in shillings, with the occasional slip. */
  private amount(loKes: number, hiKes: number): number {
    const r = this.random.next();
    if (r < ODD_AMOUNT_SHARE) return this.random.int(1, 50_000) * 2 + 1;
    if (r < ODD_AMOUNT_SHARE + HUGE_AMOUNT_SHARE) return KES(this.random.int(250_001, 400_000));
    const u = this.random.next();
    return KES(Math.round(Math.exp(Math.log(loKes) + u * (Math.log(hiKes) - Math.log(loKes)))));
  }

  // -- builders, one per family of ops

  private sendMoney(requestKey: string): Op {
    const sender = this.customer();
    let recipient = this.customer();
    if (recipient === sender)
      recipient =
        this.cast.customers[0] === sender ? this.cast.customers[1] : this.cast.customers[0];
    const command: SendMoneyCommand = {
      from: this.number(sender.msisdn),
      to: this.number(recipient.msisdn),
      amountCents: sender.rich ? this.amount(5_000, 240_000) : this.amount(10, 8_000),
      auth: this.auth(sender),
      requestKey,
    };
    if (this.mistake()) {
      const r = this.random.next();
      if (r < 0.6) command.to = this.strayNumber();
      else if (r < 0.8) command.to = command.from;
      else command.from = this.strayNumber();
    }
    return { kind: 'send_money', command };
  }

  private customerPayment(
    kind: 'paybill' | 'buy_goods' | 'withdraw' | 'airtime',
    requestKey: string,
  ): Op {
    const payer = this.customer();
    const base = { from: this.number(payer.msisdn), auth: this.auth(payer), requestKey };
    const slip = this.mistake();
    const stray = slip && this.random.chance(0.3);
    if (stray) base.from = this.strayNumber();
    const wrong = slip && !stray;
    switch (kind) {
      case 'paybill': {
        const paybill = this.random.pick(this.cast.paybills);
        const shortcode = wrong
          ? this.random.pick([UNKNOWN_SHORTCODE, this.cast.tills[0].shortcode])
          : paybill.shortcode;
        const accountReference =
          wrong && this.random.chance(0.3) ? ' ' : `ACC${this.random.int(1, 99_999)}`;
        return {
          kind,
          command: { ...base, shortcode, accountReference, amountCents: this.amount(10, 8_000) },
        };
      }
      case 'buy_goods': {
        const till = wrong ? UNKNOWN_TILL : this.random.pick(this.cast.tills).tillNumber;
        return {
          kind,
          command: { ...base, tillNumber: till, amountCents: this.amount(10, 6_000) },
        };
      }
      case 'withdraw': {
        const agent = this.random.pick(this.cast.agents);
        const storeNumber =
          wrong && this.random.chance(0.5) ? `${agent.storeNumber}9` : agent.storeNumber;
        const agentNumber =
          wrong && storeNumber === agent.storeNumber ? UNKNOWN_AGENT : agent.agentNumber;
        const amountCents = payer.rich ? this.amount(5_000, 150_000) : this.amount(50, 10_000);
        return { kind, command: { ...base, agentNumber, storeNumber, amountCents } };
      }
      case 'airtime': {
        const phone = wrong
          ? '12'
          : this.random.chance(0.3)
            ? this.number(this.customer().msisdn)
            : undefined;
        const drawToLimit = payer.offerCents !== null && this.random.chance(DRAW_TO_LIMIT_SHARE);
        const command = { ...base, phone, amountCents: this.amount(5, 1_000) };
        return { kind, command, drawToLimit };
      }
    }
  }

  /** Money arriving for a customer: cash in at an agent, or a business paying out (B2C). */
  private payIn(kind: 'deposit' | 'b2c', requestKey: string): Op {
    const payee = this.customer();
    const slip = this.mistake();
    const to = slip && this.random.chance(0.6) ? this.strayNumber() : this.number(payee.msisdn);
    if (kind === 'b2c') {
      const shortcode =
        slip && to !== this.number(payee.msisdn) ? UNKNOWN_SHORTCODE : this.random.pick(this.orgs);
      const command = {
        shortcode,
        to,
        amountCents: this.amount(10, 15_000),
        commandId: 'BusinessPayment',
        requestKey,
      };
      return { kind, command };
    }
    const agent = this.random.pick(this.cast.agents);
    const agentNumber = slip && this.random.chance(0.5) ? UNKNOWN_AGENT : agent.agentNumber;
    const amountCents = payee.rich ? this.amount(10_000, 240_000) : this.amount(50, 15_000);
    const fillToLimit = payee.rich && this.random.chance(0.3);
    return {
      kind,
      command: { agentNumber, storeNumber: agent.storeNumber, to, amountCents, requestKey },
      fillToLimit,
    };
  }

  private businessMove(kind: 'b2b' | 'org_move' | 'funding', requestKey: string): Op {
    const org = this.random.pick(this.orgs);
    const slip = this.mistake();
    if (kind === 'b2b') {
      const toTill = this.random.chance(0.3);
      const to = slip
        ? this.random.pick([org, UNKNOWN_SHORTCODE])
        : toTill
          ? this.random.pick(this.cast.tills).tillNumber
          : this.random.pick(this.cast.paybills).shortcode;
      const command: B2BCommand = {
        from: org,
        to,
        toTill: toTill && !slip,
        amountCents: this.amount(100, 100_000),
        accountReference: 'INV',
        requestKey,
      };
      return { kind, command };
    }
    if (kind === 'org_move') {
      const from = this.random.chance(0.6) ? 'utility' : this.random.pick(ORG_ACCOUNTS);
      const to = slip ? from : this.random.pick(ORG_ACCOUNTS.filter((a) => a !== from));
      return {
        kind,
        command: { shortcode: org, from, to, amountCents: this.amount(100, 50_000), requestKey },
      };
    }
    const r = this.random.next();
    const command: FundingCommand =
      r < 0.6
        ? {
            accountId: agentFloatId(this.random.pick(this.cast.agents).agentNumber),
            amountCents: KES(this.random.int(200_000, 1_000_000)),
            requestKey,
          }
        : r < 0.8
          ? {
              accountId: orgAccountId(org, 'utility'),
              amountCents: KES(this.random.int(500_000, 2_000_000)),
              requestKey,
            }
          : {
              accountId: orgAccountId(org, 'charges'),
              amountCents: KES(this.random.int(10_000, 100_000)),
              requestKey,
            };
    return { kind, command };
  }

  private reversal(
    kind: 'reverse_customer' | 'reverse_business',
    index: number,
    requestKey: string,
  ): Op {
    if (kind === 'reverse_customer') {
      const target = this.reference(['send_money'], index);
      const original = this.opAt(target);
      const asker =
        original?.kind === 'send_money' && this.random.chance(0.9)
          ? original.command.from
          : original?.kind === 'send_money'
            ? original.command.to
            : this.number(this.customer().msisdn);
      const known = customerByNumber(this.cast, asker);
      return {
        kind,
        target,
        msisdn: asker,
        auth: known === undefined ? VERIFIED : this.auth(known),
        requestKey,
      };
    }
    const r = this.random.next();
    const kinds = r < 0.4 ? [RICH_C2B] : r < 0.9 ? ['paybill', 'buy_goods'] : ['b2c'];
    const target = this.reference(kinds, index);
    const original = this.opAt(target);
    let shortcode = this.random.pick(this.orgs);
    if (original?.kind === 'paybill') shortcode = original.command.shortcode;
    if (original?.kind === 'buy_goods')
      shortcode =
        this.cast.tills.find((t) => t.tillNumber === original.command.tillNumber)?.shortcode ??
        UNKNOWN_SHORTCODE;
    if (original?.kind === 'b2c') shortcode = original.command.shortcode;
    if (this.random.chance(0.1)) shortcode = this.random.pick(this.orgs);
    return { kind, target, shortcode, requestKey };
  }

  private overdraftOp(kind: 'repay' | 'opt_in' | 'offer', requestKey: string): Op {
    const offered = this.offered;
    const customer =
      this.random.chance(0.9) && offered.length > 0 ? this.random.pick(offered) : this.customer();
    if (kind === 'repay') {
      const amountCents = this.random.chance(0.5) ? undefined : this.amount(10, 3_000);
      return {
        kind,
        command: {
          msisdn: this.number(customer.msisdn),
          amountCents,
          auth: this.auth(customer),
          requestKey,
        },
      };
    }
    if (kind === 'opt_in')
      return { kind, msisdn: this.number(customer.msisdn), auth: this.auth(customer) };
    // Each customer is only ever offered one limit, so an opted-in customer's limit never
    // drops below what they owe.
    const fresh = this.customer();
    return { kind, msisdn: fresh.msisdn, limitCents: offerFor(fresh) };
  }
}

// ---- Running it ------------------------------------------------------------------------------

export interface SimulationOptions {
  seed: number;
  cast?: Partial<CastOptions>;
  mix?: Partial<MixOptions>;
  /** Called with every op's result, in completion order. */
  onResult?: (result: OpResult) => void;
}

export interface RunPlan {
  /** Stop after this many ops (counted from where the last run stopped)… */
  ops?: number;
  /** …or after this long, whichever comes first. */
  durationMs?: number;
  /** Callers with a command in flight at once. */
  concurrency: number;
  /** Every this many ops, let the callers drain and call `atPause` with nothing in flight. */
  pauseEveryOps?: number;
  atPause?: () => Promise<void>;
}

/** Latencies kept for percentiles; beyond it they are sampled no further. */
const LATENCY_SAMPLES_MAX = 2_000_000;
/** Agent float per customer the agent may serve: a rich customer's opening deposits are KES ~480,000. */
const OPENING_FLOAT_PER_CUSTOMER_KES = 100_000;
const BASIS_POINTS = 10_000;
/** Airtime is bought in whole shillings. */
const AIRTIME_STEP_CENTS = 100;
/** Deposit amounts are whole shillings. */
const FILL_STEP_CENTS = 100;

export interface KindTally {
  ok: number;
  refused: Map<string, number>;
}

/** What the traffic did, per op kind and refusal. */
export class TrafficReport {
  ops = 0;
  committed = 0;
  refused = 0;
  readonly byKind = new Map<string, KindTally>();
  readonly latenciesMs: number[] = [];

  add(result: OpResult): void {
    const kind = result.replayOf === undefined ? result.op.kind : 'replay';
    let tally = this.byKind.get(kind);
    if (tally === undefined) this.byKind.set(kind, (tally = { ok: 0, refused: new Map() }));
    this.ops++;
    if (result.receipt !== undefined) this.committed++;
    if (result.ok) tally.ok++;
    else {
      this.refused++;
      const code = result.error ?? 'unknown';
      tally.refused.set(code, (tally.refused.get(code) ?? 0) + 1);
    }
    if (this.latenciesMs.length < LATENCY_SAMPLES_MAX) this.latenciesMs.push(result.latencyMs);
  }

  /** One line per op kind: ok, refused, and the commonest refusals. */
  table(): string {
    const lines = [`${'kind'.padEnd(18)}${'ok'.padStart(8)}${'refused'.padStart(9)}  refusals`];
    const kinds = [...this.byKind.entries()].sort((a, b) => b[1].ok - a[1].ok);
    for (const [kind, tally] of kinds) {
      const refused = [...tally.refused.values()].reduce((a, b) => a + b, 0);
      const codes = [...tally.refused.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      lines.push(
        `${kind.padEnd(18)}${String(tally.ok).padStart(8)}${String(refused).padStart(9)}  ${codes}`,
      );
    }
    return lines.join('\n');
  }
}

type Normalised = Pick<OpResult, 'ok' | 'error' | 'message' | 'receipt' | 'duplicateOf'> &
  Partial<Pick<OpResult, 'reversing' | 'dailyFees' | 'amountCents'>>;

function normalise(outcome: Outcome<object> & { receipt?: Receipt | string }): Normalised {
  if (outcome.ok) return { ok: true, receipt: outcome.receipt as Receipt | undefined };
  return {
    ok: false,
    error: outcome.error,
    message: outcome.message,
    duplicateOf: outcome.receipt,
  };
}

/** Drives a world with randomized traffic. */
export class Simulation {
  readonly report = new TrafficReport();
  readonly cast: Cast;
  readonly mix: MixOptions;
  private readonly random: Random;
  private readonly stream: OpStream;
  private readonly results: (OpResult | undefined)[] = new Array(HISTORY_OPS_MAX);
  private nextIndex = 0;
  private failure: Error | null = null;

  constructor(
    readonly world: World,
    private readonly options: SimulationOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.cast = drawCast(this.random, { ...CAST_DEFAULTS, ...options.cast });
    this.mix = { ...MIX_DEFAULTS, ...options.mix };
    this.stream = new OpStream(this.random, this.cast, this.mix, `sim${options.seed}`);
  }

  /** Ops started so far (setup included). */
  get opsStarted(): number {
    return this.nextIndex;
  }

  /** Registers the cast, funds businesses and agents, opts customers in and gives them money. */
  async populate(): Promise<void> {
    await registerCustomers(this.world, this.cast);
    await registerBusinesses(this.world, this.cast);
    const setup: Op[] = [];
    const key = () => this.stream.key(this.nextIndex + setup.length);
    for (const agent of this.cast.agents) {
      const accountId = agentFloatId(agent.agentNumber);
      setup.push({
        kind: 'funding',
        command: { accountId, amountCents: this.openingFloatCents(), requestKey: key() },
      });
    }
    for (const org of payingOrgs(this.cast)) {
      for (const [account, kes] of [
        ['utility', 3_000_000],
        ['charges', 100_000],
      ] as const) {
        const accountId = orgAccountId(org, account);
        setup.push({
          kind: 'funding',
          command: { accountId, amountCents: KES(kes), requestKey: key() },
        });
      }
    }
    for (const c of this.cast.customers) {
      if (c.offerCents !== null && this.random.chance(CAST_DEFAULTS.optedInShare))
        setup.push({ kind: 'opt_in', msisdn: c.msisdn, auth: VERIFIED });
      for (const amountCents of this.openingDeposits(c)) {
        const agent = this.random.pick(this.cast.agents);
        const command = { ...agent, to: c.msisdn, amountCents, requestKey: key() };
        setup.push({ kind: 'deposit', command, fillToLimit: false });
      }
    }
    for (const op of setup) {
      const result = await this.runOp(this.nextIndex++, op);
      if (!result.ok && op.kind !== 'opt_in')
        throw new Error(`simulation setup: ${JSON.stringify(result)}`);
    }
  }

  /** Enough float for the opening deposits whichever agents they fall on, and for the day. */
  private openingFloatCents(): number {
    const perAgent = Math.ceil(this.cast.customers.length / this.cast.agents.length);
    return KES(1_000_000 + perAgent * OPENING_FLOAT_PER_CUSTOMER_KES);
  }

  private openingDeposits(c: SimCustomer): number[] {
    if (!c.rich) return [KES(this.random.int(200, 5_000))];
    return [KES(240_000), KES(this.random.int(200_000, 240_000))];
  }

  /** Runs ops from the stream with `concurrency` callers until the plan's count or time is up. */
  async run(plan: RunPlan): Promise<void> {
    const last = plan.ops === undefined ? Number.POSITIVE_INFINITY : this.nextIndex + plan.ops;
    const stopAt =
      plan.durationMs === undefined
        ? Number.POSITIVE_INFINITY
        : performance.now() + plan.durationMs;
    const pauseEvery = plan.pauseEveryOps ?? Number.POSITIVE_INFINITY;
    while (this.nextIndex < last && performance.now() < stopAt && this.failure === null) {
      const end = Math.min(last, this.nextIndex + pauseEvery);
      await Promise.all(Array.from({ length: plan.concurrency }, () => this.caller(end, stopAt)));
      if (this.failure === null && this.nextIndex < last) await plan.atPause?.();
    }
    if (this.failure !== null) throw this.failure;
  }

  /** The next op of the stream, alone. */
  step(): Promise<OpResult> {
    const index = this.nextIndex++;
    return this.runOp(index, this.stream.generate(index));
  }

  private async caller(end: number, stopAt: number): Promise<void> {
    while (this.nextIndex < end && this.failure === null && performance.now() < stopAt) {
      const index = this.nextIndex++;
      // Generated as the index is taken, so the stream's draws happen in index order.
      const op = this.stream.generate(index);
      try {
        await this.runOp(index, op);
      } catch (error) {
        this.failure ??= new Error(
          `op ${index} (${JSON.stringify(op)}) threw: ${(error as Error).stack}`,
        );
      }
    }
  }

  private async runOp(index: number, generated: Op): Promise<OpResult> {
    if (generated !== this.stream.opAt(index)) this.stream.keep(generated, index);
    const replayOf = generated.kind === 'replay' ? generated.target : undefined;
    const op = replayOf === undefined ? generated : this.stream.opAt(replayOf);
    if (op === undefined || op.kind === 'replay') throw new Error(`op ${index}: nothing to replay`);
    const started = performance.now();
    const outcome = await this.perform(op);
    const result: OpResult = {
      index,
      op,
      replayOf,
      ...outcome,
      latencyMs: performance.now() - started,
    };
    if (result.error === 'pin_locked') await this.unlockPin(op);
    this.results[index % HISTORY_OPS_MAX] = result;
    this.report.add(result);
    this.options.onResult?.(result);
    return result;
  }

  /** The operator resets a locked PIN (to the same one), as customer care would on a call. */
  private async unlockPin(op: Op): Promise<void> {
    const customer = customerByNumber(this.cast, customerOf(op) ?? '');
    if (customer !== undefined) await this.world.payments.resetPin(customer.msisdn, customer.pin);
  }

  /** The receipt an earlier op committed; a made-up one if it did not (or is still running). */
  private receiptOf(target: number): string {
    const result = target >= 0 ? this.results[target % HISTORY_OPS_MAX] : undefined;
    if (result?.index === target && result.receipt !== undefined) return result.receipt.receipt;
    return `NX${String(Math.max(0, target)).padStart(8, '0')}`;
  }

  private async perform(op: Op): Promise<Normalised> {
    const p = this.world.payments;
    switch (op.kind) {
      case 'send_money':
        return normalise(await p.sendMoney(op.command));
      case 'paybill':
        return normalise(await p.payBill(op.command));
      case 'buy_goods':
        return normalise(await p.buyGoods(op.command));
      case 'withdraw':
        return normalise(await p.withdrawCash(op.command));
      case 'airtime':
        return this.airtime(op);
      case 'deposit':
        return this.deposit(op);
      case 'b2c':
        return normalise(await p.businessToCustomer(op.command));
      case 'b2b':
        return normalise(await p.businessToBusiness(op.command));
      case 'org_move':
        return normalise(await p.moveBetweenOrgAccounts(op.command));
      case 'funding':
        return normalise(await p.fundAccount(op.command));
      case 'repay':
        return normalise(await p.repayOverdraft(op.command));
      case 'opt_in':
        return normalise(await p.optInOverdraft(op.msisdn, op.auth));
      case 'offer':
        return normalise(await p.offerOverdraft(op.msisdn, op.limitCents));
      case 'new_day':
        return this.newDay();
      case 'replay':
        throw new Error('a replay is resolved before it runs');
      default:
        return this.reverse(op);
    }
  }

  private async deposit(op: Extract<Op, { kind: 'deposit' }>): Promise<Normalised> {
    if (!op.fillToLimit) return normalise(await this.world.payments.depositCash(op.command));
    // Read outside the customer's lock on purpose: a racing credit makes the service refuse it.
    const wallet = walletId(customerByNumber(this.cast, op.command.to)?.msisdn ?? '');
    const [account]: (Account | undefined)[] = await this.world.ledger.lookupAccounts([wallet]);
    const room = this.world.market.limits.walletBalanceMaxCents - availableOf(account);
    const amountCents = Math.max(FILL_STEP_CENTS, room - (room % FILL_STEP_CENTS));
    const outcome = await this.world.payments.depositCash({ ...op.command, amountCents });
    return { ...normalise(outcome), amountCents };
  }

  private async airtime(op: Extract<Op, { kind: 'airtime' }>): Promise<Normalised> {
    const customer = customerByNumber(this.cast, op.command.from);
    const overdraft =
      customer === undefined
        ? null
        : this.world.payments.context.registry.customers.get(customer.msisdn)?.overdraft;
    if (!op.drawToLimit || customer === undefined || !overdraft)
      return normalise(await this.world.payments.buyAirtime(op.command));
    // Read outside the customer's lock on purpose, as for fillToLimit.
    const ids = [walletId(customer.msisdn), overdraftId(customer.msisdn)];
    const [wallet, od] = await this.world.ledger.lookupAccounts(ids);
    const headroom = overdraft.limitCents - (od.debitsPosted - od.creditsPosted);
    const accessFee = this.world.market.overdraft.accessFeeBasisPoints;
    // The draw and its access fee together must fit the headroom.
    const draw = Math.floor((headroom * BASIS_POINTS) / (BASIS_POINTS + accessFee));
    const total = availableOf(wallet) + Math.max(0, draw);
    const amountCents = Math.max(AIRTIME_STEP_CENTS, total - (total % AIRTIME_STEP_CENTS));
    const outcome = await this.world.payments.buyAirtime({ ...op.command, amountCents });
    return { ...normalise(outcome), amountCents };
  }

  private async reverse(
    op: Extract<Op, { kind: 'reverse_customer' | 'reverse_business' }>,
  ): Promise<Normalised> {
    const reversing = this.receiptOf(op.target);
    const p = this.world.payments;
    const outcome =
      op.kind === 'reverse_customer'
        ? await p.reverseByCustomer({
            msisdn: op.msisdn,
            originalReceipt: reversing,
            auth: op.auth,
            requestKey: op.requestKey,
          })
        : await p.reverseByBusiness({
            shortcode: op.shortcode,
            originalReceipt: reversing,
            requestKey: op.requestKey,
          });
    return { ...normalise(outcome), reversing };
  }

  /** A day passes while traffic keeps flowing; the day's overdraft fees are charged at once. */
  private async newDay(): Promise<Normalised> {
    this.world.clock.advance(DAY_MS);
    const dailyFees = await this.world.payments.chargeDailyOverdraftFees(this.world.clock.nowMs());
    return { ok: true, dailyFees };
  }
}

function availableOf(account: Account | undefined): number {
  return account === undefined
    ? 0
    : account.creditsPosted - account.debitsPosted - account.debitsPending;
}
